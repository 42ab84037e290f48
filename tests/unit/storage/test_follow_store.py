"""What replicas share through the database: each race has one winner (SQLite here;
PostgreSQL, with SKIP LOCKED, when TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain import LineRequest, RequestState
from bot.slack_standin.polling import eventually
from bot.storage.database import sessionmaker
from bot.storage.follow_store import FollowStore, NewStatus
from bot.storage.outbox_queue import OutboxMessage
from bot.storage.requests import RequestRepository
from bot.storage.tables import OutboxRow, StatusEventRow
from tests.support.storage import draft


async def placed(repo: RequestRepository, n: int) -> list[LineRequest]:
    requests = []
    for i in range(n):
        await draft(repo, f"req-{i}")
        assert await repo.transition(f"req-{i}", [RequestState.DRAFT],
                                     RequestState.SUBMITTED, order_id=f"900{i}",
                                     order_status="ORDER_SUBMITTED")
        request = await repo.get(f"req-{i}")
        assert request is not None
        requests.append(request)
    return requests


async def count(engine: AsyncEngine, table: type) -> int:
    async with sessionmaker(engine)() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_change_read_by_many_replicas_is_recorded_and_queued_once(
        engine: AsyncEngine) -> None:
    repo, store = RequestRepository(engine), FollowStore(engine)
    [request] = await placed(repo, 1)
    change = NewStatus("order", "ORDER_SUBMITTED", "IN_PROGRESS", None,
                       [OutboxMessage("chat.postMessage", {"channel": "C1", "text": "moved"})])
    wins = await asyncio.gather(*(store.record_change(
        request, order_status="IN_PROGRESS", segment_statuses={}, changes=[change],
        final=False) for _ in range(10)))
    assert wins.count(True) == 1
    assert await count(engine, StatusEventRow) == 1
    assert await count(engine, OutboxRow) == 1
    # A replica still holding the old read can't record the change again later either.
    assert not await store.record_change(request, order_status="IN_PROGRESS",
                                         segment_statuses={}, changes=[change], final=False)
    stored = await repo.get(request.id)
    assert stored is not None and stored.status_version == request.status_version + 1


async def test_one_replica_per_interval_runs_the_query(engine: AsyncEngine) -> None:
    stores = [FollowStore(engine) for _ in range(6)]
    leases = await asyncio.gather(*(s.lease_cursor(0.5) for s in stores))
    assert len([lease for lease in leases if lease is not None]) == 1
    assert await stores[0].lease_cursor(0.5) is None
    when = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    await stores[0].advance_cursor(when)
    await stores[0].advance_cursor(datetime(2026, 11, 27, 11, 0, tzinfo=UTC))  # never back

    async def lapsed() -> object:
        return await stores[1].lease_cursor(0.5)

    lease = await eventually(lapsed, within=5)  # the holder died: the lease lapses
    assert lease.updated_since == when  # type: ignore[attr-defined]


async def test_order_leases_split_open_orders_between_replicas(engine: AsyncEngine) -> None:
    repo = RequestRepository(engine)
    await placed(repo, 12)
    stores = [FollowStore(engine) for _ in range(3)]
    batches = await asyncio.gather(*(s.lease_due(5, 60) for s in stores))
    ids = [r.id for batch in batches for r in batch]
    assert len(ids) == len(set(ids)), "no order is leased twice"
    more = await stores[0].lease_due(50, 60)
    assert sorted(ids + [r.id for r in more]) == sorted(f"req-{i}" for i in range(12))
    assert await stores[1].lease_due(50, 60) == [], "each is read once per interval"
