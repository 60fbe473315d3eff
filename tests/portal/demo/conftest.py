import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The seed hashes four passwords per run; PBKDF2 would make that most of the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
