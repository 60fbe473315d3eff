"""The kinds of outbox row, each registered once with the handler that delivers it.

Adding a kind is a handler and a registration, from the owning app's `AppConfig.ready()`:

    register(Kind(name="webhooks.inbox", handler=inbox_process))      # rows in OutboxMessage

or, for rows in a table of the kind's own (a model deriving from OutboxRow):

    register(Kind(name="support.submission", model=Submission, handler=submission_send))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from portal.outbox.models import OutboxMessage, OutboxRow

__all__ = ["Attempt", "Kind", "Permanent", "kind_get", "kinds", "register", "unregister"]


class Permanent(Exception):
    """Raised by a handler: no later attempt can succeed. The row is failed with this message.

    Raise it `from` the original error; callers that need that error (an inline attempt that
    shows the form again) find it as `__cause__`.
    """


@dataclass(slots=True)
class Attempt:
    """One attempt at delivering `rows`: the row asked for (`row_id`) and the rest of its group,
    claimed, in id order.

    `notes` is the handler's scratch pad for its caller (kept in the outcome, even on failure).
    """

    kind: Kind
    rows: Sequence[Any]
    row_id: int
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def row(self) -> Any:
        """The row asked for."""
        return next(row for row in self.rows if row.pk == self.row_id)

    @property
    def attempts(self) -> int:
        """Attempts begun on the row asked for, this one included."""
        return self.row.attempts


def _retriable_by_flag(error: BaseException) -> bool:
    # PlainError says whether a retry may help; an error that does not say (a database hiccup,
    # a bug) is retried, loudly.
    return bool(getattr(error, "retriable", True))


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of outbox row.

    - `handler(attempt)` delivers the rows; its return value is the outcome's `result`. An
      exception leaves the rows pending for a retry when `retriable(error)` says so (and the
      give-up rule does not), else fails them; `Permanent` always fails them, and an exception
      that is not an `Exception` (a killed worker) leaves them leased until the lease ends.
    - `group_field`: rows sharing this column's value are delivered together by one attempt
      (sync rows of one subject); None delivers rows one by one.
    - `model` (default OutboxMessage, whose rows are told apart by their `kind` column).
    - `on_done(attempt)` runs in the transaction that marks the rows done (bookkeeping).
    """

    name: str
    handler: Callable[[Attempt], Any]
    model: type[OutboxRow] = OutboxMessage
    group_field: str | None = None
    retriable: Callable[[BaseException], bool] = _retriable_by_flag
    batch_size: int = 200
    on_done: Callable[[Attempt], None] | None = None

    def __post_init__(self) -> None:
        if self.model is OutboxMessage and self.group_field is None:
            object.__setattr__(self, "group_field", "group_key")

    def rows(self) -> QuerySet[Any]:
        """Every row of this kind."""
        if self.model is OutboxMessage:
            return OutboxMessage.objects.filter(kind=self.name)
        return self.model._default_manager.all()


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Register a kind (idempotent for the same kind); a different kind under a taken name or
    a second kind on a table of its own is a programming error."""
    existing = _KINDS.get(kind.name)
    if existing is not None and existing != kind:
        raise ValueError(f"another outbox kind is registered as {kind.name!r}")
    if kind.model is not OutboxMessage and any(
        other.model is kind.model and other.name != kind.name for other in _KINDS.values()
    ):
        raise ValueError(f"{kind.model.__name__} already belongs to another outbox kind")
    _KINDS[kind.name] = kind
    return kind


def unregister(name: str) -> None:
    """Forget a kind (tests that register a throwaway one)."""
    _KINDS.pop(name, None)


def kind_get(name: str) -> Kind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no outbox kind {name!r} is registered") from None


def kinds() -> list[Kind]:
    return list(_KINDS.values())
