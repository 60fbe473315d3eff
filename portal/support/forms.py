"""Forms for opening a thread and replying. They validate input; they do not talk to Plain."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from django import forms

from portal.accounts.models import User
from portal.support.presentation import PRIORITY_CHOICES
from portal.tenancy.models import Organization
from portal.tenancy.selectors import organization_list_for_user

__all__ = ["ReplyForm", "ThreadCreateForm", "add_plain_field_errors"]

TITLE_MAX_LENGTH = 200
MARKDOWN_HINT = "Markdown works: **bold**, _italic_, `code`, lists and links."
MESSAGE_MAX_LENGTH = 20_000


class ThreadCreateForm(forms.Form):
    """Title, message and priority; an organisation only when the user has several.

    The organisation choices are the user's memberships now, so a posted id of any other
    organisation is rejected. Nothing else in the POST (a tenant or customer field) is read.
    """

    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    message = forms.CharField(
        max_length=MESSAGE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=MARKDOWN_HINT,
    )
    priority = forms.TypedChoiceField(
        choices=[(str(value), label) for value, label in PRIORITY_CHOICES],
        coerce=int,
        initial="2",
        required=False,
        empty_value=2,
    )
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label="Organisation",
        empty_label=None,
    )

    field_order = ("organization", "title", "message", "priority")

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = list(organization_list_for_user(user=user))
        if len(self.organizations) > 1:
            self.fields["organization"].queryset = organization_list_for_user(user=user)
        else:
            del self.fields["organization"]

    @property
    def chosen_organization(self) -> Organization:
        """The organisation the thread is for (after is_valid())."""
        if "organization" in self.fields:
            return self.cleaned_data["organization"]
        return self.organizations[0]


class ReplyForm(forms.Form):
    text = forms.CharField(
        label="Your reply",
        max_length=MESSAGE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=MARKDOWN_HINT,
    )


class _FieldError(Protocol):
    """What the portal reads of plain_gateway's MutationFieldError."""

    field: str
    message: str


# Plain's field paths for the inputs our forms send, mapped to the form field that holds them.
_PLAIN_FIELD_PREFIXES: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "message": ("components", "text", "textcontent", "markdowncontent", "message"),
    "text": ("text", "textcontent", "markdowncontent", "components", "message"),
    "priority": ("priority",),
    "organization": ("tenantidentifier", "tenant"),
}


def add_plain_field_errors(
    form: forms.Form, errors: Iterable[_FieldError], *, fallback: str
) -> None:
    """Put the field errors of a failed Plain mutation beside the form fields they concern.

    An error on a field the form does not have becomes a form-wide error; with no field errors
    at all, `fallback` is shown form-wide.
    """
    placed = False
    for error in errors:
        path = (error.field or "").replace("_", "").lower()
        target = None
        for name in form.fields:
            prefixes = _PLAIN_FIELD_PREFIXES.get(name, (name,))
            if any(path.startswith(prefix) for prefix in prefixes):
                target = name
                break
        form.add_error(target, error.message or fallback)
        placed = True
    if not placed:
        form.add_error(None, fallback)
