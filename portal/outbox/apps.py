from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class OutboxConfig(AppConfig):
    name = "portal.outbox"
    label = "outbox"
    verbose_name = "Outbox"

    def ready(self) -> None:
        # kombu's filesystem transport (the embedded default's broker) needs its folders, in the
        # processes that publish as in the worker.
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        if settings.CELERY_BROKER_URL == "portal-filesystem://":
            for name in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
                Path(str(options[name])).mkdir(parents=True, exist_ok=True)
