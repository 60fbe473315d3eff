"""Webhook targets and deliveries: Plain's targets API, declared in `webhooks.graphql`.

Only the declarations are here so far: every operation of the API fails loudly (no resolver) until
the behaviour lands (issue 11), rather than answering something Plain would not.
"""

from __future__ import annotations

from plain_gateway.emulator.families import Family

__all__ = ["Webhooks"]


class Webhooks(Family):
    """The workspace's webhook targets (none held yet)."""
