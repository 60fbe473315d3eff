"""Settings for the gunicorn the support integration tests start: the portal's own, with static
files served from their sources (no collectstatic step in a test)."""

from portal.settings import *  # noqa: F403
from portal.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
