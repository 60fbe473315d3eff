from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "portal.tenancy"
    label = "tenancy"
    verbose_name = "Organizations"

    def ready(self) -> None:
        # Connects the receivers that write the sync outbox.
        from portal.tenancy import signals  # noqa: F401
