"""What the status follower shares between replicas, through the database alone.

- A change is recorded only if the request's statuses are still the version the replica
  read (a conditional update), with its events and its Slack replies in the same
  transaction: two replicas seeing the same change record and tell it once.
- One replica per interval runs the incremental query: it leases the shared cursor row
  (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, a conditional update elsewhere) until
  the next interval; a replica that dies holding it is replaced when the lease lapses.
- The per-order fallback leases batches of open orders the same way, so each is read by one
  replica per interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.domain import LineRequest, RequestState
from bot.storage.audit import Audit, insert_audit
from bot.storage.database import sessionmaker
from bot.storage.outbox_queue import OutboxMessage, queue_calls
from bot.storage.requests import LINE_REQUESTS, LR, STATUS_EVENTS, _request
from bot.storage.tables import FollowerCursorRow, LineRequestRow, utcnow
from bot.storage.transactions import in_transaction

CURSOR = "orders"
FOLLOWED = RequestState.SUBMITTED.value


@dataclass(frozen=True)
class NewStatus:
    """One status change to record, with the Slack calls that tell it."""

    subject: str
    old_status: str | None
    new_status: str
    vendor: str | None
    messages: list[OutboxMessage]


@dataclass(frozen=True)
class CursorLease:
    """This replica runs this interval's query; ``updated_since`` is where the last one got
    to (None before the first)."""

    updated_since: datetime | None


class FollowStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions: async_sessionmaker[Any] = sessionmaker(engine)
        self._skip_locked = engine.dialect.name == "postgresql"

    # --- recording changes ----------------------------------------------------------

    async def record_change(self, request: LineRequest, *, order_status: str,
                            segment_statuses: dict[str, str], changes: list[NewStatus],
                            final: bool) -> bool:
        """Store the statuses read and queue a reply per change, only if nobody recorded
        anything for this request since ``request`` was read; True if this call did."""
        values: dict[str, Any] = {"order_status": order_status,
                                  "segment_statuses_json": segment_statuses,
                                  "status_version": request.status_version + 1,
                                  "updated_at": utcnow()}
        if final:
            values["state"] = RequestState.COMPLETED.value
        # Core statements, not the ORM session: see bot/storage/requests.py.
        def record(conn: Connection) -> bool:
            result = conn.execute(
                update(LINE_REQUESTS)
                .where(LR.id == request.id, LR.status_version == request.status_version)
                .values(**values))
            if not result.rowcount:
                return False  # another replica got there first and told it
            if not changes:
                return True
            now = utcnow()
            # Queued here, with the change: marked posted as its replies enter the outbox.
            conn.execute(insert(STATUS_EVENTS), [
                {"request_id": request.id, "subject": c.subject, "old_status": c.old_status,
                 "new_status": c.new_status, "vendor": c.vendor, "seen_at": now,
                 "posted_at": now} for c in changes])
            insert_audit(conn, request.id, *(Audit(
                "mobproc", "status_change",
                {"subject": c.subject, "from": c.old_status, "to": c.new_status})
                for c in changes))
            queue_calls(conn, request.outbox_key, [m for c in changes for m in c.messages])
            return True

        return await in_transaction(self._engine, record)

    # --- what is followed -----------------------------------------------------------

    async def count_open(self) -> int:
        async with self._sessions() as session:
            return int(await session.scalar(
                select(func.count()).select_from(LineRequestRow)
                .where(LineRequestRow.state == FOLLOWED,
                       LineRequestRow.order_id.is_not(None))) or 0)

    async def oldest_open(self) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(func.min(LineRequestRow.created_at))
                .where(LineRequestRow.state == FOLLOWED))

    async def open_by_order_ids(self, order_ids: list[str]) -> dict[str, LineRequest]:
        if not order_ids:
            return {}
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(LINE_REQUESTS).where(LR.state == FOLLOWED, LR.order_id.in_(order_ids)))
            return {r.order_id: _request(r) for r in rows}

    # --- leases ---------------------------------------------------------------------

    async def lease_cursor(self, seconds: float) -> CursorLease | None:
        """This interval's incremental query, if no other replica holds it."""
        now = utcnow()
        until = now + timedelta(seconds=seconds)
        async with self._sessions.begin() as session:
            query = select(FollowerCursorRow).where(FollowerCursorRow.name == CURSOR)
            if self._skip_locked:
                query = query.with_for_update(skip_locked=True)
            row = await session.scalar(query)
            if row is None:
                if self._skip_locked and await self._cursor_exists(session):
                    return None  # locked by another replica right now
                return await self._first_cursor(until)
            if row.leased_until is not None and row.leased_until > now:
                return None
            # Keyed on what was read, so where SKIP LOCKED is unknown (SQLite) two replicas
            # reading the same expired lease still can't both win it.
            taken = await session.execute(
                update(FollowerCursorRow)
                .where(FollowerCursorRow.name == CURSOR,
                       _same(FollowerCursorRow.leased_until, row.leased_until))
                .values(leased_until=until)
                .execution_options(synchronize_session=False))
            if not taken.rowcount:  # type: ignore[attr-defined]
                return None
            return CursorLease(row.updated_since)

    async def _cursor_exists(self, session: Any) -> bool:
        found = await session.scalar(select(func.count()).select_from(FollowerCursorRow)
                                     .where(FollowerCursorRow.name == CURSOR))
        return bool(found)

    async def _first_cursor(self, until: datetime) -> CursorLease | None:
        try:
            async with self._sessions.begin() as session:
                session.add(FollowerCursorRow(name=CURSOR, leased_until=until))
        except IntegrityError:
            return None  # another replica created it, and holds it
        return CursorLease(None)

    async def advance_cursor(self, newest: datetime) -> None:
        """The next query starts from ``newest`` (less the safety overlap); never backwards."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(FollowerCursorRow)
                .where(FollowerCursorRow.name == CURSOR,
                       or_(FollowerCursorRow.updated_since.is_(None),
                           FollowerCursorRow.updated_since < newest))
                .values(updated_since=newest))

    async def lease_due(self, limit: int, seconds: float) -> list[LineRequest]:
        """Up to ``limit`` open orders no replica has read in the last ``seconds``, leased to
        this one for ``seconds``."""
        now = utcnow()
        due = or_(LR.next_check_at.is_(None), LR.next_check_at <= now)
        async with self._engine.begin() as conn:
            query = (select(LINE_REQUESTS)
                     .where(LR.state == FOLLOWED, LR.order_id.is_not(None), due)
                     .order_by(LR.next_check_at.nulls_first(), LR.created_at)
                     .limit(limit))
            if self._skip_locked:
                query = query.with_for_update(skip_locked=True)
            rows = list(await conn.execute(query))
            if not rows:
                return []
            leased = await conn.execute(
                update(LINE_REQUESTS)
                .where(LR.id.in_([r.id for r in rows]), due)
                .values(next_check_at=now + timedelta(seconds=seconds),
                        updated_at=LR.updated_at)
                .returning(LR.id))
            mine = {row_id for (row_id,) in leased}
            return [_request(r) for r in rows if r.id in mine]


def _same(column: Any, value: datetime | None) -> Any:
    return column.is_(None) if value is None else column == value


__all__ = ["CursorLease", "FollowStore", "NewStatus"]
