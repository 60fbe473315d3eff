"""The support pages' fixtures (organisations known to Plain, their members, threads), reused."""

from tests.portal.support.conftest import (  # noqa: F401
    acme,
    alice,
    alice_client,
    make_thread,
    support_isolation,
)
