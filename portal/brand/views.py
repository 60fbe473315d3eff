"""/brand.css: the brand's colours as CSS custom properties, so pages carry no inline style.

Pages link it as /brand.css?v=<version>, the version a digest of the text: with that version the
answer may be kept for a year (a new brand is a new URL); with any other (or none) it is the
current text, revalidated each time, so a page from before a change still gets the new colours.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import etag, require_GET

from portal.brand.selectors import brand_stylesheet

_YEAR = 365 * 24 * 60 * 60


@require_GET
@etag(lambda _request: brand_stylesheet().version)
def brand_css(request: HttpRequest) -> HttpResponse:
    """The stylesheet (text/css), public and immutable for the current version; 304 for a
    matching If-None-Match."""
    stylesheet = brand_stylesheet()
    response = HttpResponse(stylesheet.text, content_type="text/css; charset=utf-8")
    if request.GET.get("v") == stylesheet.version:
        patch_cache_control(response, public=True, max_age=_YEAR, immutable=True)
    else:
        patch_cache_control(response, public=True, no_cache=True)
    return response
