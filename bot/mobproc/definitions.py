"""MobProc's property definitions for orders that carry only values, read once and kept.

An order MobProc lists (from its portal, or waiting in its approval workflow) names a CHOICE
by its id; the labels are in ``GET /orders/properties`` for its transaction type and line.
They are read once per (transaction type, line) and kept for ``ttl_seconds`` in a bounded
cache; concurrent first reads share one call. A failed read is not kept: the caller shows
ids, and the next caller reads again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.mobproc import assumed
from bot.mobproc.client import MobProcClient
from bot.mobproc.errors import MobProcError
from bot.mobproc.models import Order, PropertyDefinition

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (transaction type, serviceNumber)


@dataclass(frozen=True)
class _Kept:
    definitions: list[PropertyDefinition]
    until: float


class OrderDefinitions:
    def __init__(self, mobproc: MobProcClient, *, region: str = "US", size: int = 256,
                 ttl_seconds: float = 3600.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.mobproc = mobproc
        self.region = region
        self.size = size
        self.ttl = ttl_seconds
        self.clock = clock
        self._kept: OrderedDict[Key, _Kept] = OrderedDict()
        self._reading: dict[Key, asyncio.Task[list[PropertyDefinition] | None]] = {}

    async def for_order(self, order: Order) -> list[PropertyDefinition]:
        """The definitions of ``order``'s own fields (each with only the choice it holds):
        what its DM needs to show labels, small enough to keep with it. Empty when MobProc
        can't say now (ids are shown)."""
        key = assumed.definitions_source(order)
        if key is None:
            return []
        found = await self.get(key)
        return relevant(order, found or [])

    async def get(self, key: Key) -> list[PropertyDefinition] | None:
        """Every definition for (transaction type, line); None when the read failed."""
        kept = self._kept.get(key)
        if kept is not None and kept.until > self.clock():
            self._kept.move_to_end(key)
            return kept.definitions
        reading = self._reading.get(key)
        if reading is None:
            reading = asyncio.ensure_future(self._read(key))
            self._reading[key] = reading
        # Shielded: a caller giving up doesn't cancel the read the others wait for.
        return await asyncio.shield(reading)

    async def _read(self, key: Key) -> list[PropertyDefinition] | None:
        transaction_type, service_number = key
        try:
            service = await self.mobproc.find_service(service_number, region=self.region)
            groups = [] if service is None else \
                await self.mobproc.get_properties(transaction_type, service.id)
        except MobProcError as exc:
            log.warning("Could not read MobProc's %s properties for a line: %s",
                        transaction_type, exc.message)
            return None  # not kept: the next caller asks again
        finally:
            self._reading.pop(key, None)
        definitions = [f for g in groups for f in g.fields]
        self._kept[key] = _Kept(definitions, self.clock() + self.ttl)
        self._kept.move_to_end(key)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return definitions


def relevant(order: Order, definitions: list[PropertyDefinition]) -> list[PropertyDefinition]:
    """Only the fields ``order`` has, and of a CHOICE only the choice it holds (a cost
    centre list can be long)."""
    by_id = {d.id: d for d in definitions}
    kept: list[PropertyDefinition] = []
    for group in order.properties:
        for value in group.fields:
            definition = by_id.get(value.id)
            if definition is None:
                continue
            chosen = value.choice.id if value.choice is not None else None
            kept.append(PropertyDefinition(
                id=definition.id, label=definition.label, type=definition.type,
                choices=[c for c in definition.choices if c.id == chosen]))
    return kept
