from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "portal.activity"
    label = "activity"
    verbose_name = "Thread activity and unread state"

    def ready(self) -> None:
        # Registers the webhook handlers that stamp a thread's activity and mark it unread.
        from portal.activity import handlers  # noqa: F401
