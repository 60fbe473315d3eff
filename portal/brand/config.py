"""The PORTAL_BRAND_* settings' validation, run by settings.py itself as it loads.

A malformed value stops every process at start (web, worker, manage.py) with a message naming the
variable, rather than leaving a page to fail or a header to be built from it: gunicorn and Celery
run no system checks. Colours that are well formed but do not read are not refused: the palette
adjusts them (portal.brand.colors) and the system check brand.I001 says what is shown instead.
No Django import here: settings.py cannot use the app registry yet.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from portal.brand.colors import color_parse

__all__ = ["brand_settings_problems", "logo_csp_source"]

# A static file's path as {% static %} takes it: relative, no scheme, no "..", no query.
_STATIC_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./-]*")
# Characters that would end or extend a Content-Security-Policy source expression, or a URL.
_UNSAFE_IN_URL = re.compile(r"[\s;,'\"<>\\]")
_EMAIL = re.compile(r"[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+")


def _logo_problem(value: str) -> str | None:
    if not value:
        return None
    if value.startswith("https://"):
        parts = urlsplit(value)
        if (
            not parts.hostname
            or parts.username is not None
            or not parts.path.strip("/")
            or parts.path.endswith("/")
            or _UNSAFE_IN_URL.search(value)
        ):
            return (
                "PORTAL_BRAND_LOGO_URL must be the https URL of one file (a host and a path not "
                "ending in '/'), with no spaces, quotes, ';' or ','."
            )
        return None
    if _STATIC_PATH.fullmatch(value) and ".." not in value.split("/"):
        return None
    return (
        "PORTAL_BRAND_LOGO_URL must be an https:// URL or the path of a static file such as "
        "img/logo.svg (http:, data: and other schemes are refused)."
    )


def brand_settings_problems(
    *,
    name: str,
    logo_url: str,
    primary_color: str,
    accent_color: str,
    support_email: str,
) -> list[str]:
    """One message per malformed brand setting (empty when all are usable)."""
    problems = []
    if not name.strip():
        problems.append("PORTAL_BRAND_NAME must not be empty.")
    if (problem := _logo_problem(logo_url)) is not None:
        problems.append(problem)
    for setting, value, optional in (
        ("PORTAL_BRAND_PRIMARY_COLOR", primary_color, True),
        ("PORTAL_BRAND_ACCENT_COLOR", accent_color, False),
    ):
        if optional and not value:
            continue
        try:
            color_parse(value)
        except ValueError as error:
            problems.append(f"{setting}: {error}.")
    if support_email and not _EMAIL.fullmatch(support_email):
        problems.append(
            "PORTAL_BRAND_SUPPORT_EMAIL must be an email address such as help@example.com."
        )
    return problems


def logo_csp_source(logo_url: str) -> str | None:
    """The img-src source that allows exactly the logo: the https URL itself (a source with a
    path not ending in "/" matches that path only), or None for a static file ('self')."""
    if logo_url.startswith("https://"):
        parts = urlsplit(logo_url)
        return f"https://{parts.netloc}{parts.path}"
    return None
