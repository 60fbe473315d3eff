"""Forms for opening a thread and replying. They validate input; they do not talk to Plain.

What Plain would refuse is refused here first, beside the field concerned: its attachment limits
(ATTACHMENT_*), the length of a message component, and the workspace's thread fields (required,
one of the enum's values, a bounded length). The workspace's categories and thread fields come in
as `RequestOptions` (read from Plain through a short cache by the selectors).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse_lazy
from django.utils.html import escape
from ulid import ULID

from plain_gateway import limits
from plain_gateway.inputs import ThreadFieldInput, ThreadFieldType
from portal.accounts.models import User
from portal.support.presentation import PRIORITY_CHOICES
from portal.support.selectors import RequestOptions
from portal.tenancy.models import Organization
from portal.tenancy.selectors import organization_list_for_user, organizations_of_user

__all__ = [
    "ATTACHMENT_BANNED_EXTENSIONS",
    "ATTACHMENT_MAX_BYTES",
    "ATTACHMENT_MAX_COUNT",
    "ATTACHMENT_MAX_TOTAL_BYTES",
    "ReplyForm",
    "RequestFieldsForm",
    "ThreadCreateForm",
    "accepted_message",
    "add_plain_field_errors",
    "attachments_sort",
    "refusal_message",
    "size_text",
]

TITLE_MAX_LENGTH = 200
MARKDOWN_HINT = "Markdown works: **bold**, _italic_, `code`, lists and links."
# The first message of a request is a Plain Text component, whose markdown is a smaller subset.
TEXT_COMPONENT_HINT = "You can use **bold**, _italic_ and [links](https://example.com)."
# A new request's message becomes one Text component, which Plain takes up to 10,000 characters.
CREATE_MESSAGE_MAX_LENGTH = 10_000
MESSAGE_MAX_LENGTH = 20_000
# Plain documents no limit for a text thread field; a field is a short answer, not a message.
THREAD_FIELD_TEXT_MAX_LENGTH = 1_000
THREAD_FIELD_PREFIX = "field__"
CATEGORY_FIELD = "category"
# Bounds on the answers kept unvalidated when the questions are not known (a cold cache).
POSTED_FIELDS_MAX_COUNT = 100
POSTED_VALUE_MAX_LENGTH = THREAD_FIELD_TEXT_MAX_LENGTH + 1

# Plain's attachment limits, as plain_gateway publishes them.
ATTACHMENT_MAX_COUNT = limits.ATTACHMENT_MAX_COUNT
ATTACHMENT_MAX_TOTAL_BYTES = limits.ATTACHMENT_MAX_TOTAL_BYTES
ATTACHMENT_MAX_BYTES = limits.ATTACHMENT_MAX_BYTES
ATTACHMENT_BANNED_EXTENSIONS = limits.ATTACHMENT_BANNED_EXTENSIONS
ATTACHMENT_FILE_NAME_MAX_LENGTH = 255
ATTACHMENT_HINT = (
    f"Up to {ATTACHMENT_MAX_COUNT} files, "
    f"{ATTACHMENT_MAX_TOTAL_BYTES // (1024 * 1024)} MB in total."
)


FORM_KEY_PREFIX = "fk_"
FORM_KEY_MAX_LENGTH = 40
_FORM_KEY = re.compile(r"fk_[0-9A-Za-z]{26}")


def new_form_key() -> str:
    """A fresh key for one rendering of a form."""
    return f"{FORM_KEY_PREFIX}{ULID()}"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Any number of files (cleaned to a list), checked against Plain's attachment limits."""

    def __init__(self, **kwargs: Any) -> None:
        attrs = {
            # Read by static/js/uploads.js to warn before a long upload Plain would refuse.
            "data-max-files": str(ATTACHMENT_MAX_COUNT),
            "data-max-bytes": str(ATTACHMENT_MAX_TOTAL_BYTES),
            "data-max-file-bytes": str(ATTACHMENT_MAX_BYTES),
            "data-banned-extensions": " ".join(sorted(ATTACHMENT_BANNED_EXTENSIONS)),
        }
        kwargs.setdefault("widget", MultipleFileInput(attrs=attrs))
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", "Attachments")
        kwargs.setdefault("help_text", ATTACHMENT_HINT)
        kwargs.setdefault("max_length", ATTACHMENT_FILE_NAME_MAX_LENGTH)
        # An empty file is refused by attachments_sort, in its turn among the others.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        files, refused = [], []
        for item in items:
            try:
                file = super().clean(item, initial)
            except forms.ValidationError as error:
                # Django's own check (a long name) names the file too.
                reason = " ".join(error.messages).rstrip(".")
                refused.append((getattr(item, "name", "") or "", reason[:1].lower() + reason[1:]))
            else:
                if file:
                    files.append(file)
        attachments_check(files, refused=refused)
        return files


def _extension(name: str) -> str:
    _, dot, extension = name.rpartition(".")
    return extension.lower() if dot else ""


def size_text(size: int) -> str:
    """A size as static/js/uploads.js writes it (same rounding), so both say the same words."""
    if size < 1024:
        return f"{size} bytes"
    unit, name = (1024, "KB") if size < 1024 * 1024 else (1024 * 1024, "MB")
    tenths = (size * 10 + unit // 2) // unit
    return f"{tenths // 10}.{tenths % 10} {name}"


def attachments_sort(
    files: Sequence[UploadedFile],
) -> tuple[list[UploadedFile], list[tuple[str, str]]]:
    """Split files, in the order chosen, into those Plain would take and (name, reason) for each
    it would refuse. A file is refused for its type or size alone, or because the files accepted
    before it already fill the count or the total size. static/js/uploads.js applies the same
    rules in the same order, in the same words."""
    accepted: list[UploadedFile] = []
    refused: list[tuple[str, str]] = []
    total = 0
    for file in files:
        name, size = file.name or "", file.size or 0
        extension = _extension(name)
        if not size:
            reason = "the submitted file is empty"
        elif extension in ATTACHMENT_BANNED_EXTENSIONS:
            reason = f"files of type .{extension} cannot be attached"
        elif size > ATTACHMENT_MAX_BYTES:
            reason = (
                f"it is {size_text(size)} and a file can be at most "
                f"{size_text(ATTACHMENT_MAX_BYTES)}"
            )
        elif len(accepted) >= ATTACHMENT_MAX_COUNT:
            reason = f"a message can carry at most {ATTACHMENT_MAX_COUNT} files"
        elif total + size > ATTACHMENT_MAX_TOTAL_BYTES:
            reason = (
                f"with it the files would be {size_text(total + size)} and together they can "
                f"be at most {size_text(ATTACHMENT_MAX_TOTAL_BYTES)}"
            )
        else:
            accepted.append(file)
            total += size
            continue
        refused.append((name, reason))
    return accepted, refused


def attachments_check(
    files: Sequence[UploadedFile], *, refused: Sequence[tuple[str, str]] = ()
) -> None:
    """Raise ValidationError when Plain would refuse any of these files: one message per refused
    file, naming it and saying why, then one naming the files that were fine. Nothing is sent
    when one file is refused, and a browser cannot fill a file input again, so the fine ones are
    listed as to be attached again (rather than kept: see the README, "Attachments")."""
    accepted, too_many = attachments_sort(files)
    problems = [refusal_message(name, reason) for name, reason in [*refused, *too_many]]
    if not problems:
        return
    if accepted:
        problems.append(accepted_message([file.name or "" for file in accepted]))
    raise forms.ValidationError(problems)


def refusal_message(name: str, reason: str) -> str:
    return f"{name or 'A file'} was not attached: {reason}."


def accepted_message(names: Sequence[str]) -> str:
    return f"Nothing was sent; attach these again, they are fine: {', '.join(names)}."


REQUIRED_MARK = " (required)"


class _PortalForm(forms.Form):
    """Labels without Django's trailing colon, as the rest of the site writes them; a required
    field's label says so in words (inside the <label>, so it is read with the field), besides
    the `required` attribute the browser and screen readers know."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self._required_mark()

    def _required_mark(self) -> None:
        """Mark the required fields' labels (again, after fields were added)."""
        for field in self.fields.values():
            if field.required and not field.widget.is_hidden:
                field.label_suffix = REQUIRED_MARK


class _RequestFieldsMixin:
    """The workspace's questions (category, thread fields) on a form, built from RequestOptions."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]

    def _request_fields_add(self, options: RequestOptions) -> None:
        self._field_schemas: dict[str, Any] = {}
        if options.label_types:
            self.fields[CATEGORY_FIELD] = forms.ChoiceField(
                label="Category",
                required=False,
                choices=[("", "Choose a category")]
                + [(label_type.id, label_type.name) for label_type in options.label_types],
            )
        for schema in options.field_schemas:
            field = _thread_field(schema)
            if field is not None:
                name = THREAD_FIELD_PREFIX + schema.key
                self.fields[name] = field
                self._field_schemas[name] = schema
        # Thread fields in the order the schemas were sent (error paths index into it).
        self.thread_field_names: list[str] = []

    def label_type_ids(self) -> list[str]:
        """labelTypeIds for createThread (after is_valid())."""
        category = self.cleaned_data.get("category")
        return [category] if category else []

    def thread_field_inputs(self) -> list[ThreadFieldInput]:
        """createThread's threadFields (after is_valid()): one per answered field.

        An empty optional text or choice is left out; a checkbox always has a value.
        """
        inputs = []
        self.thread_field_names = []
        for name, schema in self._field_schemas.items():
            value = self.cleaned_data.get(name)
            field_type = ThreadFieldType(schema.type)
            if field_type is ThreadFieldType.BOOL:
                item = ThreadFieldInput(key=schema.key, type=field_type, boolean_value=bool(value))
            elif value in (None, ""):
                continue
            else:
                item = ThreadFieldInput(key=schema.key, type=field_type, string_value=value)
            inputs.append(item)
            self.thread_field_names.append(name)
        return inputs


class RequestFieldsForm(_RequestFieldsMixin, _PortalForm):
    """Only the workspace's questions: how the answers of a request saved while they were not
    known (a cold cache) are checked against the schemas when it is delivered."""

    def __init__(self, *args: Any, options: RequestOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._request_fields_add(options)
        self._required_mark()


class ThreadCreateForm(_RequestFieldsMixin, _PortalForm):
    """Title, message, priority, the workspace's category and thread fields, and attachments.

    An organisation is asked for only when the user has several; its choices are the user's
    memberships now, so a posted id of any other organisation is rejected. Nothing else in the
    POST (a tenant or customer field) is read.
    """

    title = forms.CharField(
        max_length=TITLE_MAX_LENGTH,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                # While the title is typed, help articles that may answer it (the help center's
                # suggestions, templates/helpcenter/_suggest.html). "unset" stops the form's own
                # hx-select from applying to this request.
                "hx-get": reverse_lazy("helpcenter:suggest"),
                "hx-trigger": "keyup changed delay:300ms, search",
                "hx-target": "#help-suggestions",
                "hx-select": "unset",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        ),
    )
    message = forms.CharField(
        max_length=CREATE_MESSAGE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=TEXT_COMPONENT_HINT,
    )
    priority = forms.TypedChoiceField(
        choices=[(str(value), label) for value, label in PRIORITY_CHOICES],
        coerce=int,
        initial="2",
        required=False,
        # Any value; django-stubs types it as str | None.
        empty_value=limits.DEFAULT_PRIORITY,  # type: ignore[arg-type]
    )
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label="Organisation",
        # Chosen by the customer, never pre-filled with the first one.
        empty_label="Choose an organisation",
    )
    attachments = AttachmentsField()
    # One key per rendered form (see Submission.form_key): a second POST of the same form
    # becomes the first one's submission, not a second thread.
    form_key = forms.CharField(
        widget=forms.HiddenInput,
        required=False,
        max_length=FORM_KEY_MAX_LENGTH,
        initial=new_form_key,
    )

    def __init__(
        self,
        *args: Any,
        user: User,
        options: RequestOptions | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organizations = list(organizations_of_user(user=user))
        if len(self.organizations) > 1:
            organization = self.fields["organization"]
            assert isinstance(organization, forms.ModelChoiceField)
            organization.queryset = organization_list_for_user(user=user)
        else:
            del self.fields["organization"]
        # None: the workspace's questions are not known now (see the class docstring).
        self.options_known = options is not None
        self._request_fields_add(options or RequestOptions())
        self.order_fields(
            ["organization", "title", "category", "priority", "message", *self._field_schemas]
        )
        self._required_mark()

    def posted_request_fields(self) -> dict[str, str]:
        """The category and thread-field values as posted, for resolving at delivery.

        Only when the form was built without options (`options_known` is False): then these
        answers were not validated here, and services.thread_submit keeps them in the payload.
        """
        if self.options_known or self.data is None:
            return {}
        names = [
            name
            for name in self.data
            if name == CATEGORY_FIELD or name.startswith(THREAD_FIELD_PREFIX)
        ]
        return {
            name: str(self.data.get(name) or "")[:POSTED_VALUE_MAX_LENGTH]
            for name in names[:POSTED_FIELDS_MAX_COUNT]
        }

    def clean_form_key(self) -> str | None:
        """The form's key, or None for a missing or malformed one (then the POST is taken as it
        is, as before keys existed: a page rendered before a deploy still sends)."""
        key = str(self.cleaned_data.get("form_key") or "")
        return key if _FORM_KEY.fullmatch(key) else None

    @property
    def chosen_organization(self) -> Organization:
        """The organisation the thread is for (after is_valid())."""
        if "organization" in self.fields:
            return self.cleaned_data["organization"]
        return self.organizations[0]

    @property
    def thread_field_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self._field_schemas]


def _thread_field(schema: Any) -> forms.Field | None:
    """The form field for one of Plain's thread field schemas, or None for a type not asked.

    NUMBER, CURRENCY and DATE fields are left to agents: the portal asks customers only for text,
    yes/no and choices.
    """
    # Django renders help_text as HTML (its field template marks it safe), while labels and
    # choices it escapes itself: Plain's description is text, so it goes in escaped.
    common = {"label": schema.label or schema.key, "help_text": escape(schema.description or "")}
    if schema.type == "STRING":
        return forms.CharField(
            required=schema.is_required,
            max_length=THREAD_FIELD_TEXT_MAX_LENGTH,
            strip=True,
            **common,
        )
    if schema.type == "BOOL":
        # Unticked is an answer too (false), so even a required field is always present.
        return forms.BooleanField(required=False, **common)
    if schema.type == "ENUM" and schema.enum_values:
        # An empty first choice, required or not: a required choice is the customer's to make,
        # never pre-filled with the first option (the browser and the form refuse it empty).
        choices = [("", "Choose one" if schema.is_required else "—")]
        choices += [(value, value) for value in schema.enum_values]
        return forms.ChoiceField(required=schema.is_required, choices=choices, **common)
    return None


class ReplyForm(_PortalForm):
    text = forms.CharField(
        label="Your reply",
        max_length=MESSAGE_MAX_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=MARKDOWN_HINT,
    )
    attachments = AttachmentsField()


class _FieldError(Protocol):
    """What the portal reads of plain_gateway's MutationFieldError."""

    @property
    def field(self) -> str: ...

    @property
    def message(self) -> str: ...


# Plain's field paths for the inputs our forms send, mapped to the form field that holds them.
_PLAIN_FIELD_PREFIXES: Mapping[str, tuple[str, ...]] = {
    "title": ("title",),
    "message": ("components", "text", "textcontent", "markdowncontent", "message"),
    "text": ("text", "textcontent", "markdowncontent", "components", "message"),
    "priority": ("priority",),
    "organization": ("tenantidentifier", "tenant"),
    "category": ("labeltypeids", "labeltype"),
    "attachments": ("attachmentids", "attachment", "filename", "filesizebytes"),
}
_THREAD_FIELD_PATH = re.compile(r"threadfields\[(\d+)\]")


def _target_field(form: forms.Form, path: str) -> str | None:
    indexed = _THREAD_FIELD_PATH.match(path)
    if indexed is not None:
        names = getattr(form, "thread_field_names", ())
        index = int(indexed.group(1))
        return names[index] if index < len(names) else None
    for name in form.fields:
        prefixes = _PLAIN_FIELD_PREFIXES.get(name, (name,))
        if any(path.startswith(prefix) for prefix in prefixes):
            return name
    return None


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
        form.add_error(_target_field(form, path), error.message or fallback)
        placed = True
    if not placed:
        form.add_error(None, fallback)
