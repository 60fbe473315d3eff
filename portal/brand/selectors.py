"""The company's brand as pages, emails and the admin show it, read from settings.

Settings only, no database: the error pages (a CSRF failure, a 500 while the database is down)
and the Content-Security-Policy (built once, at start, to allow exactly the configured logo)
must agree with every other page, and a record in the database could not give them that.
settings.py has already refused malformed values (portal.brand.config), so reads here do not fail.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse

from portal.brand.colors import Mode, Palette, Rgb, color_parse, palette_build

__all__ = ["Brand", "brand_current", "brand_stylesheet"]


@dataclass(frozen=True)
class Stylesheet:
    """/brand.css: the text and the version (a digest of it) its URL carries."""

    text: str
    version: str


@dataclass(frozen=True)
class Brand:
    """What the company shows: `logo_url` is as configured (an https URL, a static file's path,
    or "" for none); colours are in `palette`, adjusted where they would not read."""

    name: str
    logo_url: str
    support_email: str
    footer_text: str
    palette: Palette
    stylesheet: Stylesheet

    @property
    def logo_src(self) -> str:
        """The logo's URL for a page ("" without one): the https URL, or the static file's."""
        if not self.logo_url or self.logo_url.startswith("https://"):
            return self.logo_url
        try:
            return static(self.logo_url)
        except ValueError:
            # Not in the manifest (collectstatic not run yet): the path WhiteNoise also serves.
            return settings.STATIC_URL.rstrip("/") + "/" + self.logo_url.lstrip("/")

    @property
    def logo_absolute_url(self) -> str:
        """The logo's URL for an email, which has no page to be relative to ("" without one)."""
        src = self.logo_src
        return urljoin(settings.PORTAL_PUBLIC_URL.rstrip("/") + "/", src) if src else ""

    @property
    def stylesheet_url(self) -> str:
        return f"{reverse('brand:stylesheet')}?v={self.stylesheet.version}"

    @property
    def email_colors(self) -> dict[str, str]:
        """The light theme's colours as hex, for the inline styles of HTML emails (mail clients
        ignore stylesheets; no Content-Security-Policy applies there)."""
        palette = self.palette
        colors = {"accent": palette.light.accent.hex, "accent_text": palette.light.accent_text.hex}
        if palette.primary is not None and palette.on_primary is not None:
            colors |= {"primary": palette.primary.hex, "on_primary": palette.on_primary.hex}
        return colors


def _mode_properties(mode: Mode) -> str:
    a = mode.accent
    return (
        f"  --accent: {mode.accent};\n"
        f"  --accent-text: {mode.accent_text};\n"
        f"  --accent-soft: {mode.accent_soft};\n"
        f"  --support-soft: {mode.support_soft};\n"
        f"  --focus: 0 0 0 3px rgba({a.r}, {a.g}, {a.b}, 0.45);\n"
    )


def _header_rule(primary: Rgb, on_primary: Rgb) -> str:
    # The header band: every colour its contents use becomes the one that reads on it (`color`
    # too: text that inherits it took the body's value, not the variable).
    return (
        ".site-header {\n"
        f"  background: {primary};\n"
        f"  color: {on_primary};\n"
        f"  border-bottom-color: {primary};\n"
        f"  --surface: {primary};\n"
        f"  --text: {on_primary};\n"
        f"  --muted: {on_primary};\n"
        f"  --accent: {on_primary};\n"
        f"  --accent-text: {primary};\n"
        f"  --focus: 0 0 0 3px {on_primary};\n"
        "}\n"
    )


@lru_cache(maxsize=16)
def _built(primary: str, accent: str) -> tuple[Palette, Stylesheet]:
    palette = palette_build(
        primary=color_parse(primary) if primary else None, accent=color_parse(accent)
    )
    text = (
        "/* The brand's colours (portal/brand/selectors.py), generated from settings. */\n"
        f":root {{\n{_mode_properties(palette.light)}}}\n"
        "@media (prefers-color-scheme: dark) {\n"
        f":root {{\n{_mode_properties(palette.dark)}}}\n"
        "}\n"
    )
    if palette.primary is not None and palette.on_primary is not None:
        text += _header_rule(palette.primary, palette.on_primary)
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    return palette, Stylesheet(text=text, version=version)


def brand_current() -> Brand:
    """The brand from settings (PORTAL_BRAND_*); the colour work is cached per colour pair."""
    palette, stylesheet = _built(
        settings.PORTAL_BRAND_PRIMARY_COLOR, settings.PORTAL_BRAND_ACCENT_COLOR
    )
    return Brand(
        name=settings.PORTAL_BRAND_NAME,
        logo_url=settings.PORTAL_BRAND_LOGO_URL,
        support_email=settings.PORTAL_BRAND_SUPPORT_EMAIL,
        footer_text=settings.PORTAL_BRAND_FOOTER_TEXT,
        palette=palette,
        stylesheet=stylesheet,
    )


def brand_stylesheet() -> Stylesheet:
    """The current /brand.css."""
    return brand_current().stylesheet
