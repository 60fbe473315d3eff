from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "portal.support"
    label = "support"
    verbose_name = "Support"

    def ready(self) -> None:
        import portal.support.handlers  # noqa: F401  (registers the read cache's webhook handler)
        from portal.outbox.registry import register
        from portal.support import services

        register(services.SUBMISSIONS)
