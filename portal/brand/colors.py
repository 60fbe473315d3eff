"""Colour maths for the brand: WCAG 2 contrast, and a palette that stays readable with any colour.

Pure Python, no Django: settings.py imports `color_parse` to refuse a malformed value at start.

Contrast is WCAG 2's: the relative luminance of each sRGB colour, then (L1 + 0.05) / (L2 + 0.05)
with the lighter one on top, from 1:1 to 21:1. Text needs 4.5:1 (success criterion 1.4.3, level
AA). Every colour has 4.5:1 or more against black or against white (the worst case is about
4.58:1), so text on a brand colour is always black or white, whichever reads better; a brand
colour used as text (links, outlined buttons, badges) is darkened towards black on the light
theme, or lightened towards white on the dark one, just until it reaches 4.5:1 on every
background it is drawn on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = [
    "AA_TEXT",
    "BLACK",
    "DARK_BASE",
    "LIGHT_BASE",
    "WHITE",
    "Base",
    "Mode",
    "Palette",
    "Rgb",
    "color_parse",
    "contrast_ratio",
    "palette_build",
    "relative_luminance",
    "text_on",
    "toward",
]

AA_TEXT: Final = 4.5
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


@dataclass(frozen=True, order=True)
class Rgb:
    """An sRGB colour, 0-255 a channel."""

    r: int
    g: int
    b: int

    @property
    def hex(self) -> str:
        return f"#{self.r:02x}{self.g:02x}{self.b:02x}"

    def __str__(self) -> str:
        return self.hex


BLACK: Final = Rgb(0, 0, 0)
WHITE: Final = Rgb(255, 255, 255)


def color_parse(value: str) -> Rgb:
    """`#rrggbb`, `rrggbb` or `#rgb` (any case) as an Rgb; ValueError saying what is expected."""
    match = _HEX.fullmatch(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a hex colour such as #1d4ed8")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(2 * d for d in digits)
    return Rgb(int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: Rgb) -> float:
    """WCAG 2's relative luminance: 0 for black, 1 for white."""
    return 0.2126 * _linear(color.r) + 0.7152 * _linear(color.g) + 0.0722 * _linear(color.b)


def contrast_ratio(a: Rgb, b: Rgb) -> float:
    """WCAG 2's contrast ratio of two colours, 1.0 to 21.0, the same either way round."""
    la, lb = relative_luminance(a), relative_luminance(b)
    lighter, darker = max(la, lb), min(la, lb)
    return (lighter + 0.05) / (darker + 0.05)


def text_on(background: Rgb) -> Rgb:
    """Black or white, whichever has the more contrast on `background` (never under 4.5:1)."""
    return (
        BLACK if contrast_ratio(BLACK, background) >= contrast_ratio(WHITE, background) else WHITE
    )


def toward(color: Rgb, target: Rgb, amount: float) -> Rgb:
    """`color` moved `amount` (0..1) of the way to `target`, channel by channel, rounded."""
    return Rgb(
        *(
            round(c + (t - c) * amount)
            for c, t in zip(_channels(color), _channels(target), strict=True)
        )
    )


def _channels(color: Rgb) -> tuple[int, int, int]:
    return (color.r, color.g, color.b)


def _readable_on_all(color: Rgb, backgrounds: Iterable[Rgb]) -> bool:
    return all(contrast_ratio(color, bg) >= AA_TEXT for bg in backgrounds)


def _until_readable(color: Rgb, *, backgrounds: Sequence[Rgb], extreme: Rgb) -> Rgb:
    """The least move of `color` towards `extreme` that reads at 4.5:1 on every background.

    Steps of 1/100 keep the hue and stop as soon as it is enough; `extreme` (black for light
    backgrounds, white for dark ones) is itself readable on them, so this always ends.
    """
    for step in range(101):
        candidate = toward(color, extreme, step / 100)
        if _readable_on_all(candidate, backgrounds):
            return candidate
    return extreme


@dataclass(frozen=True)
class Base:
    """A theme's fixed colours (static/css/portal.css's :root for that mode)."""

    surface: Rgb
    background: Rgb
    text: Rgb
    muted: Rgb
    dark: bool


# The values of static/css/portal.css (tests/portal/brand/test_colors.py checks they agree).
LIGHT_BASE: Final = Base(
    surface=Rgb(0xFF, 0xFF, 0xFF),
    background=Rgb(0xF6, 0xF7, 0xF9),
    text=Rgb(0x1C, 0x24, 0x30),
    muted=Rgb(0x5B, 0x66, 0x75),
    dark=False,
)
DARK_BASE: Final = Base(
    surface=Rgb(0x1A, 0x20, 0x29),
    background=Rgb(0x11, 0x15, 0x1B),
    text=Rgb(0xE7, 0xEB, 0xF0),
    muted=Rgb(0xA3, 0xAD, 0xBB),
    dark=True,
)
# How much of the accent tints the soft backgrounds (info alerts, badges; support's messages),
# at most: less when the theme's text would no longer read on the tint.
_SOFT_TINT: Final = {False: 0.10, True: 0.22}
_SUPPORT_TINT: Final = {False: 0.05, True: 0.12}


@dataclass(frozen=True)
class Mode:
    """One theme's brand colours: what static/css/portal.css's custom properties become."""

    accent: Rgb  # links, outlined buttons, badges' text: 4.5:1 on surface, background, soft ones
    accent_text: Rgb  # text on a filled accent button
    accent_soft: Rgb  # info alerts, badges and tags (accent text and body text both read on it)
    support_soft: Rgb  # support's messages in a conversation

    def pairs(self, base: Base) -> dict[str, tuple[Rgb, Rgb]]:
        """Every (text, background) pair of this mode that the stylesheet draws."""
        return {
            "accent on surface": (self.accent, base.surface),
            "accent on background": (self.accent, base.background),
            "accent on accent-soft": (self.accent, self.accent_soft),
            "accent on support-soft": (self.accent, self.support_soft),
            "accent-text on accent": (self.accent_text, self.accent),
            "text on accent-soft": (base.text, self.accent_soft),
            "muted on accent-soft": (base.muted, self.accent_soft),
            "text on support-soft": (base.text, self.support_soft),
            "muted on support-soft": (base.muted, self.support_soft),
        }


@dataclass(frozen=True)
class Palette:
    """The brand's colours as drawn: the header band (if any) and the light and dark themes.

    `primary` is the configured colour as is (only text on it is chosen); `accent_configured`
    the accent as configured, before any adjustment.
    """

    primary: Rgb | None
    on_primary: Rgb | None
    accent_configured: Rgb
    light: Mode
    dark: Mode

    @property
    def accent_adjusted(self) -> bool:
        """Whether the light theme's accent differs from the configured one (it did not read)."""
        return self.light.accent != self.accent_configured


def _tint(accent: Rgb, base: Base, *, at_most: float, readable: Sequence[Rgb]) -> Rgb:
    """The surface tinted with up to `at_most` of the accent, as much as keeps `readable` at
    4.5:1 on it (the plain surface, where the theme's text reads, at worst)."""
    for step in range(round(at_most * 100), -1, -1):
        tint = toward(base.surface, accent, step / 100)
        if _readable_on_all(tint, readable):
            return tint
    return base.surface


def _mode(accent: Rgb, base: Base) -> Mode:
    # The soft backgrounds first (tinted with the accent as configured, as far as the theme's
    # own text still reads on them), then the accent moved until it reads on all four.
    body = (base.text, base.muted)
    soft = _tint(accent, base, at_most=_SOFT_TINT[base.dark], readable=body)
    support = _tint(accent, base, at_most=_SUPPORT_TINT[base.dark], readable=body)
    readable = _until_readable(
        accent,
        backgrounds=(base.surface, base.background, soft, support),
        extreme=WHITE if base.dark else BLACK,
    )
    return Mode(
        accent=readable, accent_text=text_on(readable), accent_soft=soft, support_soft=support
    )


def palette_build(*, primary: Rgb | None, accent: Rgb) -> Palette:
    """The palette for a brand; every pair of `Mode.pairs` reads at 4.5:1 or more."""
    return Palette(
        primary=primary,
        on_primary=text_on(primary) if primary is not None else None,
        accent_configured=accent,
        light=_mode(accent, LIGHT_BASE),
        dark=_mode(accent, DARK_BASE),
    )
