"""The test suite's settings: the portal's own, with Celery tasks run eagerly in-process.

Tests of services call the outbox's task through Celery and check its effect at once; tests
that need real workers start them (tests/portal/tenancy/test_integration.py,
tests/portal/outbox/test_embedded.py) with the portal's own settings.
"""

from portal.settings import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = True
PLAIN_EMULATOR_DELIVER_IN_BACKGROUND = False  # tests deliver webhooks when they say so
