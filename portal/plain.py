"""The one place that builds the Plain gateway client from settings.

With PLAIN_API_URL set, the client talks to that URL (real Plain, or a standalone emulator) with
PLAIN_API_KEY. Without it, the client talks to the embedded emulator in-process, through an
httpx.WSGITransport over the emulator's WSGI app, its state in PLAIN_EMULATOR_DATA. That emulator
allows http webhook targets and customer card URLs, delivers webhooks to the portal's own WSGI
app in-process and asks it for customer cards the same way (on background threads when
PLAIN_EMULATOR_DELIVER_IN_BACKGROUND, as they fall due), so the embedded default hears from its
Plain, and answers its card requests, with no server listening for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler

from plain_gateway import PlainClient
from plain_gateway.emulator import EmulatorApp, EmulatorControl, create_app

EMBEDDED_URL = "http://plain-emulator.internal/graphql/v1"
EMBEDDED_KEY = "embedded-emulator-key"

_lock = threading.Lock()
_client: PlainClient | None = None
_transport: httpx.BaseTransport | None = None
_app: EmulatorApp | None = None
_reset_hooks: list[Callable[[], None]] = []


def _embedded_transport() -> httpx.BaseTransport:
    global _transport, _app
    if _transport is None:
        portal = _PortalApp()
        _app = create_app(
            api_key=_api_key(),
            data_path=settings.PLAIN_EMULATOR_DATA or None,
            # Webhooks and card requests reach the portal in-process: their URLs
            # (PORTAL_PUBLIC_URL, plain http in the embedded default) only name the path and
            # host the request carries.
            allow_http_targets=True,
            webhook_transport=httpx.WSGITransport(app=portal),
            deliver_in_background=settings.PLAIN_EMULATOR_DELIVER_IN_BACKGROUND,
            card_transport=httpx.WSGITransport(app=portal),
        )
        _transport = httpx.WSGITransport(app=_app)
    return _transport


class _PortalApp:
    """The portal's own WSGI app, built on first use (Django is set up by then)."""

    def __init__(self) -> None:
        self._handler: WSGIHandler | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self._handler is None:
            self._handler = WSGIHandler()
        return self._handler(environ, start_response)


def _api_key() -> str:
    return settings.PLAIN_API_KEY or EMBEDDED_KEY


def is_embedded() -> bool:
    return not settings.PLAIN_API_URL


def get_plain_client() -> PlainClient:
    """The process-wide client (it is thread-safe and keeps its connections alive)."""
    global _client
    if _client is None:
        with _lock:
            if _client is None:
                # Against a real URL the key must be set: PlainClient refuses an empty one.
                api_key, url, transport = (
                    (_api_key(), EMBEDDED_URL, _embedded_transport())
                    if is_embedded()
                    else (settings.PLAIN_API_KEY, settings.PLAIN_API_URL, None)
                )
                _client = PlainClient(
                    api_key=api_key,
                    url=url,
                    transport=transport,
                    timeout=settings.PLAIN_TIMEOUT_SECONDS,
                    max_rate_limit_wait=settings.PLAIN_MAX_RATE_LIMIT_WAIT_SECONDS,
                )
    return _client


def is_emulator() -> bool:
    """Whether the portal talks to an emulator (embedded, or standalone at PLAIN_API_URL)
    rather than to real Plain: get_emulator_control() would answer one (without building it)."""
    url = settings.PLAIN_API_URL
    return is_embedded() or (url.rstrip("/").endswith("/graphql/v1") and "plain.com" not in url)


def get_emulator_control() -> EmulatorControl | None:
    """The emulator's control API, for what Plain's API cannot do; None against real Plain.

    A standalone emulator given by PLAIN_API_URL also answers it (its URLs end in /graphql/v1).
    """
    if is_embedded():
        return EmulatorControl(
            url=EMBEDDED_URL, api_key=_api_key(), transport=_embedded_transport()
        )
    if is_emulator():
        return EmulatorControl(url=settings.PLAIN_API_URL, api_key=settings.PLAIN_API_KEY)
    return None


def on_client_reset(hook: Callable[[], None]) -> None:
    """Call `hook` whenever the client is forgotten: what was learnt from one Plain (its
    secret, its ids) must not outlive it."""
    _reset_hooks.append(hook)


def reset_plain_client() -> None:
    """Forget the cached client and transport (tests and settings changes)."""
    global _client, _transport, _app
    with _lock:
        if _client is not None:
            _client.close()
        if _app is not None:
            _app.close()  # its delivery and card threads, if any
        _client = None
        _transport = None
        _app = None
    for hook in _reset_hooks:
        hook()
