from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "portal.tenancy"
    label = "tenancy"
    verbose_name = "Organizations"

    def ready(self) -> None:
        from portal.outbox.registry import register
        from portal.tenancy import services, signals  # noqa: F401 - signals connects receivers

        register(services.SYNC)
