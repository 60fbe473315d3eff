"""Production settings for the gunicorn the CSP server test starts, with static files collected
into that test's own folder (CSP_ITEST_STATIC_ROOT) rather than var/."""

import os

from portal.settings import *  # noqa: F403

STATIC_ROOT = os.environ["CSP_ITEST_STATIC_ROOT"]
