"""{% brand as brand %}: the company's brand (portal.brand.selectors.Brand) in a template.

A tag rather than a context processor: Django renders the CSRF failure page and the 500 page
without a request, so no context processor runs for them, and they must wear the brand too.
"""

from __future__ import annotations

from django import template

from portal.brand.selectors import Brand, brand_current

register = template.Library()


@register.simple_tag(name="brand")
def brand_tag() -> Brand:
    return brand_current()
