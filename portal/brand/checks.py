"""System check brand.I001: say which colour is shown when the configured accent would not read.

Informational, not an error: any colour a company picks is usable, the palette only darkens (or,
on the dark theme, lightens) it until text in it reaches WCAG's 4.5:1.
"""

from __future__ import annotations

from typing import Any

from django.core import checks

from portal.brand.colors import LIGHT_BASE, contrast_ratio
from portal.brand.selectors import brand_current


@checks.register()
def brand_colors_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    palette = brand_current().palette
    if not palette.accent_adjusted:
        return []
    configured, shown = palette.accent_configured, palette.light.accent
    worst = min(
        contrast_ratio(configured, bg) for bg in (LIGHT_BASE.surface, LIGHT_BASE.background)
    )
    return [
        checks.Info(
            f"PORTAL_BRAND_ACCENT_COLOR {configured} reads at only {worst:.2f}:1 on the light "
            f"theme's backgrounds; {shown} is shown instead (4.5:1 or more).",
            hint="Pick a darker accent to have it shown as it is.",
            id="brand.I001",
        )
    ]
