from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "portal.webhooks"
    label = "webhooks"
    verbose_name = "Plain webhooks"

    def ready(self) -> None:
        from portal.outbox.registry import register
        from portal.webhooks import services

        register(services.INBOX)
