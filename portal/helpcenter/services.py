"""Writes of the help center app: recording that a suggested article was opened."""

from __future__ import annotations

from plain_gateway.types import HelpCenterArticle
from portal.accounts.models import User
from portal.helpcenter.models import SuggestionOpen

__all__ = ["suggestion_open_record"]


def suggestion_open_record(*, user: User, article: HelpCenterArticle) -> SuggestionOpen:
    """Count one opening of a suggested article (the deflection measure's numerator's base)."""
    return SuggestionOpen.objects.create(
        user=user,
        article_id=article.id,
        article_slug=article.slug[:200],
        article_title=article.title[:300],
    )
