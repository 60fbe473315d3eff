"""The PORTAL_BRAND_* settings: malformed values stop the process at start, the logo's URL and
nothing wider joins the Content-Security-Policy's img-src."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from portal.brand.config import brand_settings_problems, logo_csp_source
from tests.portal.csp import policy_of_header

ROOT = Path(__file__).resolve().parents[3]
GOOD = {
    "name": "Acme Cloud Support",
    "logo_url": "",
    "primary_color": "",
    "accent_color": "#1d4ed8",
    "support_email": "",
}


def problems(**changes: str) -> list[str]:
    return brand_settings_problems(**(GOOD | changes))


def test_good_values_have_no_problems():
    assert problems() == []
    assert (
        problems(
            logo_url="https://cdn.acme.example/brand/logo.svg",
            primary_color="#ffff00",
            support_email="help@acme.example",
        )
        == []
    )
    assert problems(logo_url="brand/logo.svg") == []


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"name": "  "}, "PORTAL_BRAND_NAME"),
        ({"accent_color": "blue"}, "PORTAL_BRAND_ACCENT_COLOR"),
        ({"accent_color": ""}, "PORTAL_BRAND_ACCENT_COLOR"),
        ({"primary_color": "#12"}, "PORTAL_BRAND_PRIMARY_COLOR"),
        ({"primary_color": "red;}body{display:none"}, "PORTAL_BRAND_PRIMARY_COLOR"),
        ({"support_email": "not an address"}, "PORTAL_BRAND_SUPPORT_EMAIL"),
        ({"logo_url": "http://cdn.acme.example/logo.svg"}, "PORTAL_BRAND_LOGO_URL"),
        ({"logo_url": "data:image/svg+xml,<svg/>"}, "PORTAL_BRAND_LOGO_URL"),
        ({"logo_url": "javascript:alert(1)"}, "PORTAL_BRAND_LOGO_URL"),
        ({"logo_url": "//cdn.acme.example/logo.svg"}, "PORTAL_BRAND_LOGO_URL"),
        ({"logo_url": "../secrets/logo.svg"}, "PORTAL_BRAND_LOGO_URL"),
        ({"logo_url": "https://cdn.acme.example/"}, "PORTAL_BRAND_LOGO_URL"),
        ({"logo_url": "https://cdn.acme.example"}, "PORTAL_BRAND_LOGO_URL"),
        # Would widen or break the policy: another source, another directive.
        ({"logo_url": "https://cdn.acme.example/a.svg *"}, "PORTAL_BRAND_LOGO_URL"),
        ({"logo_url": "https://cdn.acme.example/a.svg;script-src"}, "PORTAL_BRAND_LOGO_URL"),
        ({"logo_url": "https://user@cdn.acme.example/a.svg"}, "PORTAL_BRAND_LOGO_URL"),
    ],
)
def test_a_malformed_value_is_named(changes, named):
    (problem,) = problems(**changes)
    assert problem.startswith(named)


def test_the_logo_source_is_the_exact_file():
    assert logo_csp_source("https://cdn.acme.example/brand/logo.svg?v=2") == (
        "https://cdn.acme.example/brand/logo.svg"
    )
    assert logo_csp_source("brand/logo.svg") is None
    assert logo_csp_source("") is None


def _settings_process(env: dict[str, str], code: str) -> subprocess.CompletedProcess[str]:
    """Python in a fresh process that loads the portal's settings with `env` added."""
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_process_with_a_malformed_colour_does_not_start():
    result = _settings_process({"PORTAL_BRAND_ACCENT_COLOR": "blue"}, "print('started')")
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "ImproperlyConfigured: PORTAL_BRAND_ACCENT_COLOR: 'blue' is not a hex colour" in (
        result.stderr
    )


def test_the_policy_allows_the_configured_logo_and_nothing_wider():
    code = (
        "from django.test import Client; "
        "print(Client().get('/brand.css').headers['Content-Security-Policy'])"
    )
    with_logo = _settings_process(
        {
            "PORTAL_BRAND_LOGO_URL": "https://cdn.acme.example/brand/logo.svg",
            "DJANGO_ALLOWED_HOSTS": "testserver",
            "DJANGO_SECURE_SSL_REDIRECT": "false",
        },
        code,
    )
    without = _settings_process(
        {"DJANGO_ALLOWED_HOSTS": "testserver", "DJANGO_SECURE_SSL_REDIRECT": "false"}, code
    )
    assert with_logo.returncode == 0, with_logo.stderr
    assert without.returncode == 0, without.stderr
    logo_policy = policy_of_header(with_logo.stdout.strip().splitlines()[-1])
    default_policy = policy_of_header(without.stdout.strip().splitlines()[-1])
    assert logo_policy["img-src"] == ["'self'", "https://cdn.acme.example/brand/logo.svg"]
    assert default_policy["img-src"] == ["'self'"]
    # Only img-src changed.
    assert {k: v for k, v in logo_policy.items() if k != "img-src"} == {
        k: v for k, v in default_policy.items() if k != "img-src"
    }
