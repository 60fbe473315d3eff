"""Fixtures for the browser tests: Debian's Chromium, driven by Playwright, against the live server.

pytest-django's `live_server` runs the portal in a thread of this process, so the embedded Plain
emulator (tests/portal/conftest.py: a fresh one in memory per test) is the very one the `plain`
fixture writes to. One browser serves every test of this folder (package scope: Playwright stops
when the folder is done, see `playwright`); each test gets its own context (cookies, storage), so
no test sees another's login.

Every page of every context is watched (`watch`): a Content-Security-Policy violation (reported by
a securitypolicyviolation listener and in the console) or a JavaScript dialog fails the test, so
the strict policy is checked against every journey here, and a payload that ran would show.

No browser is downloaded: the tests drive the `chromium` on PATH (CI installs Debian's package)
and skip, saying why, when there is none.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from django.core.cache import cache
from django.test import override_settings
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    expect,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from tests.browser.pages import DESKTOP

# The portal's fixtures, reused as they are: a fresh in-memory emulator per test, test-speed
# settings, and Acme (known to Plain) with its members Alice and Bob.
from tests.portal.conftest import (  # noqa: F401
    embedded_plain,
    emulator_control,
    plain,
    static_root,
    test_http_settings,
)
from tests.portal.support.conftest import acme, alice, bob, make_thread  # noqa: F401

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
# Auto-waiting assertions and actions give up after this long: generous for a loaded CI runner,
# yet a broken page fails in seconds rather than minutes.
TIMEOUT_MS = 10_000


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright for this folder's tests only, and Django allowed to run beside its event loop.

    Playwright's sync API keeps an asyncio loop in this thread; Django then refuses ORM calls
    made from it ("cannot call this from an async context") although nothing here is async. The
    escape hatch is set for the browser tests only and restored afterwards, so the rest of the
    suite keeps Django's check.
    """
    if CHROMIUM is None:
        pytest.skip(
            "no `chromium` on PATH: install Debian's chromium package to run the browser tests "
            "(Playwright's own browser download is not used)"
        )
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as instance:
            yield instance
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for every browser test."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


# Read when the live server starts (Django builds its middleware once, and SecurityMiddleware keeps
# SECURE_SSL_REDIRECT from then on), so they are set around the server, not per test. The server
# speaks plain http: no redirect to https, no HSTS, and no Secure flag on the cookies, which a
# browser would not send back over http.
LIVE_SERVER_SETTINGS = {
    "SECURE_SSL_REDIRECT": False,
    "SECURE_HSTS_SECONDS": 0,
    "SESSION_COOKIE_SECURE": False,
    "CSRF_COOKIE_SECURE": False,
}


@pytest.fixture(scope="package")
def live_server(
    request: pytest.FixtureRequest,
    django_db_setup,
    static_root,  # noqa: F811
) -> Iterator[LiveServer]:
    """pytest-django's live server (static files from the finders), started with http settings.

    It replaces pytest-django's session-wide one for this folder, so its settings cannot leak
    into other tests and other tests' server (if any) cannot lack them.
    """
    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    # Whitenoise reads STATIC_ROOT once too; an empty folder keeps it quiet (the live server's
    # static handler answers /static/ from the finders before Whitenoise is asked).
    with override_settings(**LIVE_SERVER_SETTINGS, STATIC_ROOT=str(static_root)):
        server = LiveServer(address)
        yield server
        server.stop()


# Runs before any of the page's own scripts, on every page and frame; the binding outlives
# navigations, so nothing is lost when a form submission loads the next page.
_REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} on ${location.pathname}`
  );
}, true);"""


@dataclass
class Watch:
    """What the pages of a test did that they must not: CSP violations and dialogs."""

    violations: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.expose_binding(
            "__reportCspViolation", lambda _source, text: self.violations.append(text)
        )
        context.add_init_script(_REPORT_CSP_VIOLATIONS)
        context.on("console", self._console)
        context.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            self.violations.append(f"console: {message.text}")

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def new_context(
    browser: Browser, live_server: LiveServer, watch: Watch
) -> Iterator[Callable[..., BrowserContext]]:
    """new_context(**options) -> a fresh, watched browser context on the live server, closed
    afterwards; the test fails if any of its pages broke the CSP or opened a dialog.

    Options are Playwright's (viewport, java_script_enabled, ...); the desktop size is the default.
    """
    contexts: list[BrowserContext] = []

    def make(**options: object) -> BrowserContext:
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        watch.attach(context)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    assert watch.violations == [], "Content-Security-Policy violations"
    assert watch.dialogs == [], "JavaScript dialogs opened"


@pytest.fixture
def page(new_context: Callable[..., BrowserContext]) -> Page:
    """A desktop-sized page in a fresh context."""
    return new_context().new_page()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """The server thread shares this process's cache: no test sees another's cached Plain data
    (it came from that test's emulator) or login attempts."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True, scope="package")
def _expect_timeout() -> None:
    expect.set_options(timeout=TIMEOUT_MS)
