"""plain_gateway.ids: what a Plain id looks like, checked against ids the emulator makes."""

from __future__ import annotations

import pytest

from plain_gateway.emulator.state import new_id
from plain_gateway.ids import is_plain_id


@pytest.mark.parametrize("prefix", ["th", "att", "te", "c"])
def test_ids_the_emulator_makes_are_plain_ids_of_their_prefix(prefix):
    made = new_id(prefix, 1_700_000_000_000)

    assert is_plain_id(made, prefix=prefix)
    assert not is_plain_id(made, prefix="x")


@pytest.mark.parametrize(
    "value",
    [
        "th_",
        "th_01JZZZZZZZZZZZZZZZZZZZZZZ",  # 25 characters
        "th_01JZZZZZZZZZZZZZZZZZZZZZZZZ",  # 27
        "th_01jzzzzzzzzzzzzzzzzzzzzzzz",  # lower case
        "th_01JZZZZZZZZZZZZZZZZZZZZZZU",  # not Crockford
        "th_81JZZZZZZZZZZZZZZZZZZZZZZZ",  # more than 128 bits
        "th_01JZZZZZZZZZZZZZZZZZZZZZZZ\x00",
        "th_01JZZZZZZZZZZZZZZZZZZZZZZZ\n",
        None,
    ],
)
def test_anything_else_is_not(value):
    assert not is_plain_id(value, prefix="th")
