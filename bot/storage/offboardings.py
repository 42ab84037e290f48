"""Reads and writes of /offboard-lines requests. As for single orders, every state change is
one conditional UPDATE, so two clicks or two bot processes can't both make it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.domain import LineRequest
from bot.mobproc.models import ServiceAsset
from bot.offboarding.models import Offboarding, OffboardingState, OffboardingView
from bot.storage import waiting
from bot.storage.audit import Audit
from bot.storage.database import sessionmaker
from bot.storage.outbox_queue import OutboxMessage, queue_calls
from bot.storage.requests import request_from_row
from bot.storage.statements import all_rows
from bot.storage.tables import AuditEventRow, LineRequestRow, OffboardingRow
from bot.storage.transactions import in_transaction, reading
from bot.storage.waiting import LinesMove

OFFBOARDINGS = waiting.OFFBOARDINGS
# States only a request sent for approval reaches (a cancelled one did if it was decided:
# a form cancelled while its orders were prepared was never asked for).
ASKED = (OffboardingState.PENDING, OffboardingState.APPROVED, OffboardingState.DONE,
         OffboardingState.EXPIRED)


class OffboardingRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions: async_sessionmaker[Any] = sessionmaker(engine)

    async def create(self, offboarding: Offboarding) -> None:
        row = OffboardingRow(
            id=offboarding.id, state=offboarding.state.value,
            requester_id=offboarding.requester_id, requester_name=offboarding.requester_name,
            requester_email=offboarding.requester_email, employee_ref=offboarding.employee_ref,
            employee_name=offboarding.employee_name, origin_channel=offboarding.origin_channel,
            lines_json=[line.model_dump(mode="json", by_alias=True, exclude_none=True)
                        for line in offboarding.lines],
            choices_json={}, created_at=offboarding.created_at, reminders_sent=0)
        async with self._sessions.begin() as session:
            session.add(row)
            session.add(AuditEventRow(request_id=offboarding.id, actor=offboarding.requester_id,
                                      event="offboarding_requested",
                                      detail={"employee": offboarding.employee_ref,
                                              "lines": len(offboarding.lines)}))

    async def get(self, offboarding_id: str) -> Offboarding | None:
        async with self._sessions() as session:
            row = await session.get(OffboardingRow, offboarding_id)
            return _offboarding(row) if row else None

    async def in_states(self, states: Iterable[OffboardingState]) -> list[Offboarding]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(OffboardingRow)
                .where(OffboardingRow.state.in_([s.value for s in states]))
                .order_by(OffboardingRow.created_at))
            return [_offboarding(r) for r in rows]

    async def for_user(self, user_id: str, limit: int = 20) -> list[OffboardingView]:
        """The requests ``user_id`` asked for that went to approval (a form left unfinished
        or refused before it did is not one), newest first, each with its lines."""
        return await self._with_lines(
            select(OffboardingRow)
            .where(OffboardingRow.requester_id == user_id,
                   OffboardingRow.state.in_([s.value for s in ASKED])
                   | (OffboardingRow.state == OffboardingState.CANCELLED.value)
                   & OffboardingRow.decided_at.is_not(None))
            .order_by(OffboardingRow.created_at.desc(), OffboardingRow.id).limit(limit))

    async def recent_decided(self, limit: int = 20) -> list[OffboardingView]:
        """The latest decided requests (approved, cancelled, expired), each with its lines,
        as ``RequestRepository.recent_decided`` for single requests."""
        return await self._with_lines(
            select(OffboardingRow).where(OffboardingRow.decided_at.is_not(None))
            .order_by(OffboardingRow.decided_at.desc()).limit(limit))

    async def waiting(self) -> list[OffboardingView]:
        """The requests waiting for approval, oldest first, each with its lines (two reads
        however many)."""
        return await self._with_lines(
            select(OffboardingRow).where(OffboardingRow.state == OffboardingState.PENDING.value)
            .order_by(OffboardingRow.created_at))

    async def _with_lines(self, statement: Select[Any]) -> list[OffboardingView]:
        async with self._sessions() as session:
            rows = list(await session.scalars(statement))
            lines: dict[str, list[LineRequest]] = {row.id: [] for row in rows}
            if lines:
                for line in await session.scalars(
                        select(LineRequestRow)
                        .where(LineRequestRow.offboarding_id.in_(list(lines)))
                        .order_by(LineRequestRow.created_at, LineRequestRow.id)):
                    lines[line.offboarding_id].append(request_from_row(line))
            return [OffboardingView(offboarding=_offboarding(row), orders=lines[row.id])
                    for row in rows]

    async def orders(self, offboarding_id: str) -> list[LineRequest]:
        """The line orders of a request, in the order they were chosen."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(LineRequestRow).where(LineRequestRow.offboarding_id == offboarding_id)
                .order_by(LineRequestRow.created_at, LineRequestRow.id))
            return [request_from_row(r) for r in rows]

    async def transition(self, offboarding_id: str, expected: Iterable[OffboardingState],
                         new: OffboardingState, *, audit: Audit | None = None,
                         queue_once: tuple[str, OutboxMessage] | None = None,
                         outbox: list[OutboxMessage] | None = None,
                         lines: LinesMove | None = None, unqueue: str | None = None,
                         **values: Any) -> bool:
        """Move to ``new`` only from one of ``expected``; True for the one caller that did.
        ``queue_once`` (purpose, call) is queued by that caller in the same transaction, under
        the request's id, at most once per purpose (the outbox's unique key); ``outbox``, the
        news of the move, likewise by that caller alone, so a crash can't split the two;
        ``lines`` moves the request's lines with it, in that same transaction; ``unqueue``, a
        purpose whose call, if surely never sent, leaves the queue with the move (its
        approval message, for a request cancelled or expired before it went out)."""
        return await in_transaction(self._engine, waiting.move, waiting.BUNDLE, offboarding_id,
                                    waiting.Move(waiting.states(expected), new.value, values,
                                                 audit, outbox, queue_once=queue_once,
                                                 lines=lines, unqueue=unqueue)) is not None

    async def queue_while(self, offboarding_id: str, state: OffboardingState,
                          outbox: list[OutboxMessage]) -> bool:
        """Queue ``outbox`` only while the request is in ``state`` (``waiting.queue_while``)."""
        return await in_transaction(self._engine, waiting.queue_while, waiting.BUNDLE,
                                    offboarding_id, (state.value,), outbox)

    async def save_choices(self, offboarding_id: str, choices: dict[str, str]) -> bool:
        """Merge one page of choices; only while lines are still being chosen."""
        async with self._sessions.begin() as session:
            row = await session.get(OffboardingRow, offboarding_id, with_for_update=True)
            if row is None or row.state != OffboardingState.CHOOSING.value:
                return False
            row.choices_json = {**(row.choices_json or {}), **choices}
            return True

    async def set_message_if_unset(self, offboarding_id: str, channel: str, ts: str) -> bool:
        """Record the approval message (its lines too), only if none is yet."""
        return await in_transaction(self._engine, waiting.record_message, waiting.BUNDLE,
                                    offboarding_id, channel, ts) is not None

    async def approval_posted(self, call_id: int, offboarding_id: str, channel: str, ts: str,
                              permalink: str | None = None,
                              follow: Callable[[OffboardingView], list[OutboxMessage]]
                              | None = None) -> None:
        """The approval message's call went out: it leaves the queue, the request (and its
        lines, whose news goes to its thread) record the message and its ``permalink``, and
        what ``follow`` renders from the request as recorded (the requester's link) is
        queued, in one transaction (``bot.storage.waiting.approval_posted``)."""
        def record(conn: Connection) -> None:
            row = waiting.approval_posted(conn, waiting.BUNDLE, call_id, offboarding_id,
                                          channel, ts, permalink)
            if row is not None and follow is not None:
                queue_calls(conn, offboarding_id, follow(_view(conn, row)))

        await in_transaction(self._engine, record)

    async def approval_refused(self, call_id: int, offboarding_id: str, error: str,
                               follow: Callable[[OffboardingView], list[OutboxMessage]]
                               | None = None) -> bool:
        """Slack refused the approval message for good: the call leaves the queue and the
        pending request and its lines are cancelled, on the requester's behalf, with what
        ``follow`` renders (telling the requester) queued, in one transaction; True if it
        was cancelled here."""
        def record(conn: Connection) -> bool:
            row = waiting.approval_refused(conn, waiting.BUNDLE, call_id, offboarding_id,
                                           error)
            if row is not None and follow is not None:
                queue_calls(conn, offboarding_id, follow(_view(conn, row)))
            return row is not None

        return await in_transaction(self._engine, record)

    async def pending_without_approval_post(self, purpose: str, stale_before: datetime
                                            ) -> list[Offboarding]:
        """Pending requests with no approval message and none queued under ``purpose``,
        untouched since ``stale_before``: left so by a version that posted it directly."""
        rows = await reading(self._engine, all_rows, waiting.without_approval_post(
            waiting.BUNDLE, purpose, stale_before))
        return [_offboarding(r) for r in rows]


def _view(conn: Connection, row: Any) -> OffboardingView:
    """The request with its lines, as ``conn``'s transaction sees them."""
    return OffboardingView(offboarding=_offboarding(row),
                           orders=[request_from_row(r) for r in waiting.lines_of(conn, row.id)])


def _offboarding(row: OffboardingRow) -> Offboarding:
    return Offboarding(
        id=row.id, state=OffboardingState(row.state), requester_id=row.requester_id,
        requester_name=row.requester_name, requester_email=row.requester_email,
        employee_ref=row.employee_ref, employee_name=row.employee_name,
        origin_channel=row.origin_channel,
        lines=[ServiceAsset.model_validate(line) for line in row.lines_json or []],
        choices=dict(row.choices_json or {}), approval_channel=row.approval_channel,
        approval_ts=row.approval_ts, decided_by=row.decided_by, decided_at=row.decided_at,
        created_at=row.created_at, updated_at=row.updated_at,
        reminders_sent=row.reminders_sent or 0, approval_permalink=row.approval_permalink,
        workflow_execution_id=row.workflow_execution_id)
