"""The gateway's dataclasses pickle as constructor calls (plain_gateway._pickling)."""

from __future__ import annotations

import pickle
import pickletools
from dataclasses import dataclass, field

from plain_gateway import components as pc
from plain_gateway import types as pt
from plain_gateway._pickling import compact_pickling


def _opcodes(blob: bytes) -> set[str]:
    return {opcode.name for opcode, _, _ in pickletools.genops(blob)}


def _thread_with_timeline(plain) -> pt.ThreadWithTimeline:
    tenant = plain.upsert_tenant(external_id="pickling", name="Pickling Ltd").item
    customer = plain.upsert_customer(
        external_id="user-pickling", email="pick@example.test", full_name="Pat Pickle"
    ).item
    plain.add_customer_to_tenants(customer_id=customer.id, tenant_external_ids=[tenant.external_id])
    thread = plain.create_thread(
        customer_id=customer.id,
        tenant_external_id=tenant.external_id,
        title="Pickled",
        text="The **first** message.",
    )
    plain.send_chat(customer_id=customer.id, thread_id=thread.id, text="A chat.")
    plain.reply_to_thread(thread_id=thread.id, text="A reply.", as_customer_id=customer.id)
    found = plain.thread(thread_id=thread.id)
    assert found is not None
    return found


def test_a_thread_and_its_timeline_come_back_equal_built_by_their_constructors(plain):
    found = _thread_with_timeline(plain)
    page = plain.threads(tenant_external_ids=["pickling"], first=10)

    for value in (found, page):
        blob = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        assert pickle.loads(blob) == value
        # BUILD is how a __setstate__ (dataclasses' own) is applied: none is left.
        assert "BUILD" not in _opcodes(blob)
    kinds = {type(item.entry) for item in found.timeline.items}
    assert {pt.CustomEntry, pt.ChatEntry} <= kinds


def test_every_dataclass_of_types_and_components_pickles_as_its_constructor():
    for module in (pt, pc):
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and hasattr(value, "__dataclass_fields__"):
                assert "__reduce__" in value.__dict__, f"{module.__name__}.{name}"


@dataclass(frozen=True, slots=True)
class _KeywordOnly:
    a: int
    b: int = field(default=0, kw_only=True)


@dataclass(frozen=True, slots=True)
class _Derived:
    a: int
    b: int = field(default=0, init=False)


def test_classes_whose_constructor_cannot_rebuild_them_are_left_alone():
    compact_pickling([_KeywordOnly, _Derived, int, "not a class"])

    assert "__reduce__" not in _KeywordOnly.__dict__
    assert "__reduce__" not in _Derived.__dict__
    assert pickle.loads(pickle.dumps(_KeywordOnly(1, b=2))) == _KeywordOnly(1, b=2)
