"""What the portal keeps of the help center: which suggested articles customers opened.

The articles themselves live in Plain (read through portal.helpcenter.selectors and cached);
only the deflection measure is ours: a SuggestionOpen is written when a customer opens an
article suggested while they typed a new request's title. Whether the request was then sent is
read from the support app's submissions (selectors.deflection_stats).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

__all__ = ["SuggestionOpen"]


class SuggestionOpen(models.Model):
    """One opening of a suggested article, by one user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="help_suggestion_opens"
    )
    article_id = models.CharField("Plain article id", max_length=64)
    article_slug = models.CharField(max_length=200)
    # Plain's text, kept for the admin's list (shown as text).
    article_title = models.CharField(max_length=300, blank=True, default="")
    opened_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-opened_at",)
        indexes = [models.Index(fields=["user", "opened_at"], name="helpcenter_open_user")]

    def __str__(self) -> str:
        return f"{self.article_slug} opened by user {self.user_id}"
