import functools

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Failed-login counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def sync(django_capture_on_commit_callbacks):
    """`with sync():` runs what was enqueued on commit (the eager outbox tasks) as the block ends
    (as tests/portal/tenancy/conftest.py's: tests run in a transaction that never commits)."""
    return functools.partial(django_capture_on_commit_callbacks, execute=True)
