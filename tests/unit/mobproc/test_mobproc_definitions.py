"""The cache of MobProc's property definitions for orders that carry only choice ids."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from bot.mobproc.client import MobProcClient
from bot.mobproc.definitions import OrderDefinitions
from bot.mobproc.errors import MobProcUnavailable
from bot.mobproc.models import (
    Order,
    PropertiesResponse,
    PropertyDefinition,
    PropertyGroup,
    ServiceAsset,
)
from tests.conftest import FIXTURES
from tests.support.clocks import SecondsClock


def load_fixture_definitions() -> list[PropertyDefinition]:
    """MobProc's documented definitions (tests/fixtures/mobproc/properties.new_activation.json)."""
    text = (FIXTURES / "mobproc" / "properties.new_activation.json").read_text()
    return [f for g in PropertiesResponse.model_validate_json(text).properties.items
            for f in g.fields]


class FakeMobProc:
    """Counts reads; answers the documented NEW_ACTIVATION definitions for every line."""

    def __init__(self) -> None:
        self.reads: list[tuple[str, str]] = []
        self.fail = 0
        self.gate: asyncio.Event | None = None

    async def find_service(self, number: str, *, region: str = "US") -> ServiceAsset | None:
        return ServiceAsset(id=f"S{number}", serviceNumber=number)

    async def get_properties(self, transaction_type: str, service_id: str
                             ) -> list[PropertyGroup]:
        self.reads.append((transaction_type, service_id))
        if self.gate is not None:
            await self.gate.wait()
        if self.fail:
            self.fail -= 1
            raise MobProcUnavailable("MobProc is down")
        return [PropertyGroup(groupId="MISCELLANEOUS", fields=load_fixture_definitions())]


def order(reason: str = "19", number: str = "2125550123", kind: str = "SUSPEND") -> Order:
    return Order.model_validate({
        "orderId": "1", "status": "AWAITING_APPROVAL", "transactionType": kind,
        "serviceNumber": number, "properties": [{"groupId": "MISCELLANEOUS", "fields": [
            {"id": "Reason", "type": "CHOICE", "choice": {"id": reason}}]}]})


def cache(fake: FakeMobProc, clock: SecondsClock | None = None, **kw: Any) -> OrderDefinitions:
    return OrderDefinitions(cast(MobProcClient, fake), clock=clock or SecondsClock(0.0), **kw)


async def test_only_the_orders_fields_and_chosen_choice_are_kept() -> None:
    definitions = await cache(FakeMobProc()).for_order(order("2"))
    assert [(d.id, d.label, [(c.id, c.label) for c in d.choices]) for d in definitions] == \
        [("Reason", "Reason", [("2", "Job required upgrade to data device")])]


async def test_concurrent_first_reads_share_one_call_and_later_ones_none() -> None:
    fake = FakeMobProc()
    fake.gate = asyncio.Event()
    definitions = cache(fake)
    waiting = [asyncio.ensure_future(definitions.for_order(order())) for _ in range(20)]
    await asyncio.sleep(0.01)
    fake.gate.set()
    found = await asyncio.gather(*waiting)
    assert all(f and f[0].choices[0].label == "Broken Device" for f in found)
    await definitions.for_order(order("2"))
    assert fake.reads == [("SUSPEND", "S2125550123")]
    # Another type, or another line, is read on its own.
    await definitions.for_order(order(kind="DEACTIVATE"))
    await definitions.for_order(order(number="2125550124"))
    assert len(fake.reads) == 3


async def test_a_failed_read_is_not_kept_and_shows_ids() -> None:
    fake = FakeMobProc()
    fake.fail = 1
    definitions = cache(fake)
    assert await definitions.for_order(order()) == []
    assert (await definitions.for_order(order()))[0].choices[0].label == "Broken Device"
    assert len(fake.reads) == 2


async def test_kept_an_hour_and_bounded() -> None:
    fake, clock = FakeMobProc(), SecondsClock(0.0)
    definitions = cache(fake, clock, size=2)
    await definitions.for_order(order())
    clock.now = 3599
    await definitions.for_order(order())
    assert len(fake.reads) == 1
    clock.now = 3601
    await definitions.for_order(order())
    assert len(fake.reads) == 2
    # Three lines in a cache of two: the oldest is read again.
    for number in ("2125550124", "2125550125", "2125550123"):
        await definitions.for_order(order(number=number))
    assert len(fake.reads) == 5


async def test_an_order_that_names_no_type_or_line_reads_nothing() -> None:
    fake = FakeMobProc()
    bare = order().model_copy(update={"serviceNumber": None})
    assert await cache(fake).for_order(bare) == []
    assert fake.reads == []
