"""Portal -> Plain's agents: customer cards Plain asks us for, and customer and thread events we
write into Plain's timelines, so an agent answering in Plain sees what the portal knows."""

from typing import Any

from django.apps import AppConfig
from django.core import checks


class AgentContextConfig(AppConfig):
    name = "portal.agent_context"
    label = "agent_context"
    verbose_name = "Agent context"

    def ready(self) -> None:
        # Events from portal actions register their outbox kind and signal receivers here.
        from portal.agent_context import events  # noqa: F401
        from portal.agent_context.handlers import AGENT_EVENTS
        from portal.outbox.registry import register

        register(AGENT_EVENTS)
        checks.register(_agent_events_setting_check, checks.Tags.compatibility)


def _agent_events_setting_check(**kwargs: Any) -> list[checks.CheckMessage]:
    """A name in PORTAL_AGENT_EVENTS that is no event is a typo that silently turns one off."""
    from django.conf import settings

    from portal.agent_context.services import EVENT_NAMES

    unknown = sorted(set(getattr(settings, "PORTAL_AGENT_EVENTS", EVENT_NAMES)) - set(EVENT_NAMES))
    if not unknown:
        return []
    return [
        checks.Warning(
            f"PORTAL_AGENT_EVENTS names unknown events: {', '.join(unknown)}",
            hint=f"Known events: {', '.join(EVENT_NAMES)}.",
            id="agent_context.W001",
        )
    ]
