"""The brand's colour maths: WCAG 2 contrast on known pairs, and palettes that always read."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from portal.brand.colors import (
    AA_TEXT,
    BLACK,
    DARK_BASE,
    LIGHT_BASE,
    WHITE,
    Rgb,
    color_parse,
    contrast_ratio,
    palette_build,
    relative_luminance,
    text_on,
)

PORTAL_CSS = Path(__file__).resolve().parents[3] / "static" / "css" / "portal.css"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes AA on white
        ("#777777", "#ffffff", 4.48),  # one step lighter fails
        ("#ff0000", "#ffffff", 4.0),
        ("#0000ff", "#ffffff", 8.59),
        ("#ffff00", "#ffffff", 1.07),
        ("#1d4ed8", "#ffffff", 6.7),
        ("#ffff00", "#000000", 19.56),
    ],
)
def test_contrast_of_known_pairs(a, b, expected):
    assert contrast_ratio(color_parse(a), color_parse(b)) == pytest.approx(expected, abs=0.01)
    assert contrast_ratio(color_parse(b), color_parse(a)) == contrast_ratio(
        color_parse(a), color_parse(b)
    )


def test_relative_luminance_ends_and_middle():
    assert relative_luminance(BLACK) == 0
    assert relative_luminance(WHITE) == pytest.approx(1)
    # sRGB's mid grey is far darker than half in light: the curve, not a straight line.
    assert relative_luminance(Rgb(128, 128, 128)) == pytest.approx(0.2158, abs=1e-4)


@pytest.mark.parametrize(
    ("background", "text"),
    [
        ("#ffff00", BLACK),
        ("#111111", WHITE),
        ("#1d4ed8", WHITE),
        ("#00ff00", BLACK),
        ("#777777", BLACK),
    ],
)
def test_text_on_a_colour_is_black_or_white_whichever_reads(background, text):
    assert text_on(color_parse(background)) == text


def test_every_colour_has_black_or_white_at_4_5_or_more():
    for r, g, b in itertools.product(range(0, 256, 15), repeat=3):
        color = Rgb(r, g, b)
        assert contrast_ratio(color, text_on(color)) >= AA_TEXT, color


@pytest.mark.parametrize("value", ["#1D4ED8", "1d4ed8", " #1d4ed8 ", "#14d"])
def test_colour_formats(value):
    assert color_parse(value) in (Rgb(0x1D, 0x4E, 0xD8), Rgb(0x11, 0x44, 0xDD))


@pytest.mark.parametrize("value", ["", "blue", "#12345", "#1d4ed8;}", "rgb(1,2,3)", "#ggg"])
def test_anything_else_is_refused_with_an_example(value):
    with pytest.raises(ValueError, match="hex colour such as #1d4ed8"):
        color_parse(value)


def test_a_readable_accent_is_kept_as_it_is_on_the_light_theme():
    palette = palette_build(primary=None, accent=color_parse("#1d4ed8"))
    assert palette.light.accent == color_parse("#1d4ed8")
    assert not palette.accent_adjusted


def test_yellow_is_darkened_just_enough_and_keeps_its_hue():
    palette = palette_build(primary=None, accent=color_parse("#ffff00"))
    accent = palette.light.accent
    assert palette.accent_adjusted
    assert accent.r == accent.g and accent.b == 0  # still a yellow, darker
    backgrounds = (
        LIGHT_BASE.surface,
        LIGHT_BASE.background,
        palette.light.accent_soft,
        palette.light.support_soft,
    )
    assert min(contrast_ratio(accent, bg) for bg in backgrounds) >= 4.5
    # The least step: a little less dark would not read on one of them.
    lighter = Rgb(accent.r + 3, accent.g + 3, 0)
    assert min(contrast_ratio(lighter, bg) for bg in backgrounds) < 4.5
    # On the dark theme yellow reads as it is.
    assert palette.dark.accent == color_parse("#ffff00")


def test_near_black_is_lightened_on_the_dark_theme():
    palette = palette_build(primary=None, accent=color_parse("#111111"))
    assert palette.light.accent == color_parse("#111111")
    assert contrast_ratio(palette.dark.accent, DARK_BASE.surface) >= 4.5
    assert palette.dark.accent > color_parse("#111111")


def test_every_pair_reads_at_4_5_for_any_colour():
    """Over a grid of 512 colours (and the hostile two) as primary and accent, in both themes."""
    grid = [Rgb(r, g, b) for r, g, b in itertools.product(range(3, 256, 36), repeat=3)]
    for color in [*grid, color_parse("#ffff00"), color_parse("#111111")]:
        palette = palette_build(primary=color, accent=color)
        assert palette.on_primary is not None
        assert contrast_ratio(color, palette.on_primary) >= AA_TEXT
        for mode, base in ((palette.light, LIGHT_BASE), (palette.dark, DARK_BASE)):
            for name, (fg, bg) in mode.pairs(base).items():
                assert contrast_ratio(fg, bg) >= AA_TEXT, (color, base.dark, name, fg, bg)


def _css_root_colors(css: str) -> tuple[dict[str, str], dict[str, str]]:
    light_block = re.search(r":root\s*\{(.*?)\}", css, re.S)
    dark_block = re.search(r"prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{(.*?)\}", css, re.S)
    assert light_block and dark_block

    def props(block: str) -> dict[str, str]:
        return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", block))

    return props(light_block.group(1)), props(dark_block.group(1))


def test_the_base_colours_are_those_of_portal_css():
    light, dark = _css_root_colors(PORTAL_CSS.read_text())
    for props, base in ((light, LIGHT_BASE), (dark, DARK_BASE)):
        assert color_parse(props["surface"]) == base.surface
        assert color_parse(props["bg"]) == base.background
        assert color_parse(props["text"]) == base.text
        assert color_parse(props["muted"]) == base.muted
