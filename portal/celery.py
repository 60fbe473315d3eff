"""The Celery app. Settings come from Django settings under the CELERY_ namespace.

A worker refuses to start with unsafe production settings (portal/production.py): it sends the
portal's mail and signs with its key too.
"""

import os

from celery import Celery
from celery.signals import worker_init
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

# The embedded default's broker (CELERY_BROKER_URL unset): kombu's filesystem transport with
# atomic writes. Registered before any connection is made, in every process that imports portal.
TRANSPORT_ALIASES["portal-filesystem"] = "portal.outbox.filesystem:Transport"

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def _refuse_unsafe_production(**kwargs: object) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from portal.production import refuse_unsafe_production

    try:
        refuse_unsafe_production()
    except ImproperlyConfigured as error:
        # Celery logs and swallows a receiver's Exception; SystemExit stops the worker.
        raise SystemExit(str(error)) from None
