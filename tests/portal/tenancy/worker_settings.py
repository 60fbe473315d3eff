"""Settings for the Celery workers the integration tests start: the portal's own, plus

- a broker key prefix unique to the test run, so that nothing else using the same Redis database
  (another suite, another developer) can take or purge these tasks;
- a short retry base, so that a retried task comes back in a fraction of a second.
"""

import os

from portal.settings import *  # noqa: F403
from portal.settings import CELERY_BROKER_TRANSPORT_OPTIONS

CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,
    "global_keyprefix": os.environ["TENANCY_ITEST_KEYPREFIX"],
}
OUTBOX_RETRY_BASE_SECONDS = float(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "0.2"))
