"""The Content-Security-Policy from a production-shaped server: gunicorn on the WSGI app, DEBUG
off, static files collected with the manifest and served by Whitenoise.

django-csp leaves the header off 404 and 500 pages when DEBUG is on (Django's debug pages carry
inline script), so only a server with DEBUG off shows what visitors get. The 500 page's stylesheet
is named by a fixed path; this checks that Whitenoise serves it under that path.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.portal.csp import policy_of_header
from tests.processes import ROOT, free_port, serving_env

pytestmark = pytest.mark.integration

STARTUP_SECONDS = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("csp-server")
    env = serving_env(
        DJANGO_SETTINGS_MODULE="tests.portal.csp_server_settings",
        CSP_ITEST_STATIC_ROOT=str(folder / "static"),
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        PLAIN_EMULATOR_DATA=str(folder / "plain.sqlite3"),
    )
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    port = free_port()
    process = subprocess.Popen(
        [python, "-m", "gunicorn", "portal.wsgi:application", "-b", f"127.0.0.1:{port}", "-w1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)  # polling a starting process; there is no event to wait on
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(url: str) -> httpx.Response:
    # The server redirects plain http to https; say we came through an https proxy.
    return httpx.get(url, headers={"X-Forwarded-Proto": "https"}, timeout=10)


@pytest.mark.parametrize("path", ["/accounts/login/", "/no-such-page/", "/admin/login/"])
def test_pages_from_the_production_server_send_the_strict_policy(server, path):
    response = _get(server + path)

    assert response.status_code in (200, 404)
    assert response.headers["content-type"].startswith("text/html")
    policy = policy_of_header(response.headers.get("content-security-policy"))
    assert policy["script-src"] == policy["style-src"] == ["'self'"]
    assert policy["object-src"] == policy["base-uri"] == policy["frame-ancestors"] == ["'none'"]


def test_the_stylesheets_moved_out_of_the_templates_are_served(server):
    for path in ("/static/css/error.css", "/static/tenancy/admin.css"):
        response = _get(server + path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/css"), path
