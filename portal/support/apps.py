from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "portal.support"
    label = "support"
    verbose_name = "Support"

    def ready(self) -> None:
        from portal.outbox.registry import register
        from portal.support import services

        register(services.SUBMISSIONS)
