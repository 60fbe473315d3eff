"""The real-process fixtures the embedded-default test shares with the sync integration tests."""

from tests.portal.tenancy.test_integration import (  # noqa: F401 - fixtures, by name
    emulator_server,
    remote_plain,
    shared_database,
)
