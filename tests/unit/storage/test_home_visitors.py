"""The record of who opened their App Home: once per person, whichever replica sees it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.storage.database import create_engine, migrate
from bot.storage.home_visitors import HomeVisitors


async def test_first_opening_is_recorded_once_across_replicas(database_url: str) -> None:
    engine = create_engine(database_url)
    other_engine = create_engine(database_url)
    try:
        await migrate(engine)
        here, there = HomeVisitors(engine), HomeVisitors(other_engine)
        assert await here.first_opened("U1") is None
        assert await here.among(["U1", "U2"]) == set()
        first = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
        # Two replicas and repeated events for the same person at once: one first opening.
        results = await asyncio.gather(*(r.record("U1", at=first)
                                         for r in (here, there, here, there, here)))
        assert results.count(True) == 1
        assert not await there.record("U1")
        assert await there.first_opened("U1") == first
        # What one replica recorded, the other sees.
        assert await there.among(["U1", "U2"]) == {"U1"}
        await there.record("U2")
        assert await here.among(["U1", "U2", "U3"]) == {"U1", "U2"}
    finally:
        await engine.dispose()
        await other_engine.dispose()
