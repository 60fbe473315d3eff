from django.apps import AppConfig


class AgentContextConfig(AppConfig):
    name = "portal.agent_context"
    label = "agent_context"
    verbose_name = "Agent context"

    def ready(self) -> None:
        # Events from portal actions register their outbox kind and signal receivers here.
        from portal.agent_context import events  # noqa: F401
