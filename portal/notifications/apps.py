from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "portal.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from portal.notifications import handlers, services
        from portal.outbox.registry import register

        register(services.EMAILS)
        handlers.register()
