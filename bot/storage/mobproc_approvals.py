"""Rows of ``mobproc_approvals``: orders waiting in MobProc for a Slack user's decision.

Every state change is one conditional UPDATE, so two clicks or two bot processes can never
both send an answer, and the unique (order, approver) pair lets a DM go out once. What a
change calls for in Slack (the DM, its updates, the clicker's notice) is queued in the
outbox in the same transaction as the change, so a crash can't lose it or send it twice."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, or_, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.domain import ApprovalState, MobProcApproval
from bot.mobproc.models import Order, PropertyDefinition
from bot.storage.audit import Audit, insert_audit
from bot.storage.database import sessionmaker
from bot.storage.outbox_queue import OUTBOX, OutboxMessage, queue_calls
from bot.storage.tables import LineRequestRow, MobProcApprovalRow, utcnow
from bot.storage.transactions import in_transaction, reading

APPROVALS: Table = MobProcApprovalRow.__table__  # type: ignore[assignment]
MA = APPROVALS.c
OB = OUTBOX.c

# What a change calls for in Slack, worked out from the row as the change left it.
Then = Callable[[MobProcApproval], list[OutboxMessage]]
# What follows the DM's posting: from the call as it was posted and the row as it is now.
AfterPost = Callable[[Mapping[str, Any], MobProcApproval], list[OutboxMessage]]


class MobProcApprovalStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions: async_sessionmaker[Any] = sessionmaker(engine)

    async def add(self, order: Order, approver_id: str, employee_id: str,
                  dm: Callable[[MobProcApproval], OutboxMessage], purpose: str,
                  definitions: list[PropertyDefinition] | None = None
                  ) -> tuple[MobProcApproval, bool]:
        """Record that ``order`` waits for this approver (with MobProc's ``definitions`` of
        its fields), and queue its DM (``dm``, under ``purpose``) in the same transaction:
        (the row, whether it is new)."""
        values = {"id": uuid.uuid4().hex, "order_id": order.orderId,
                  "approver_id": approver_id, "employee_id": employee_id,
                  "state": ApprovalState.WAITING.value,
                  "order_json": order.model_dump(mode="json", by_alias=True, exclude_none=True),
                  "definitions_json": [d.model_dump(mode="json", exclude_none=True)
                                       for d in definitions or []],
                  "attempt": 0, "created_at": utcnow(), "updated_at": utcnow()}

        def create(conn: Connection) -> MobProcApproval:
            row = conn.execute(insert(APPROVALS).values(**values).returning(*APPROVALS.c)).one()
            approval = _approval(row)
            queue_calls(conn, approval.id, [dm(approval)], purpose)
            return approval

        try:
            return await in_transaction(self._engine, create), True
        except IntegrityError:  # found before, by this or another process
            found = await self.find(order.orderId, approver_id)
            assert found is not None
            return found, False

    async def get(self, approval_id: str) -> MobProcApproval | None:
        row = await reading(self._engine, _first, select(APPROVALS).where(MA.id == approval_id))
        return _approval(row) if row is not None else None

    async def find(self, order_id: str, approver_id: str) -> MobProcApproval | None:
        row = await reading(self._engine, _first, select(APPROVALS).where(
            MA.order_id == order_id, MA.approver_id == approver_id))
        return _approval(row) if row is not None else None

    async def of(self, approver_id: str, states: Iterable[ApprovalState]
                 ) -> list[MobProcApproval]:
        return await self._list(select(APPROVALS).where(
            MA.approver_id == approver_id, MA.state.in_([s.value for s in states]))
            .order_by(MA.created_at))

    async def in_states(self, states: Iterable[ApprovalState]) -> list[MobProcApproval]:
        return await self._list(select(APPROVALS).where(
            MA.state.in_([s.value for s in states])).order_by(MA.created_at))

    async def _list(self, statement: Any) -> list[MobProcApproval]:
        rows = await reading(self._engine, lambda conn: list(conn.execute(statement)))
        return [_approval(r) for r in rows]

    async def transition(self, approval_id: str, expected: Iterable[ApprovalState],
                         new: ApprovalState, *, actor: str | None = None,
                         stale_before: datetime | None = None, attempt: int | None = None,
                         then: Then | None = None, **values: Any) -> MobProcApproval | None:
        """Move the row to ``new`` only from one of ``expected`` (with ``stale_before``, only
        if untouched and unclaimed since then; with ``attempt``, only while that answer
        attempt is the current one); the moved row for the one caller that moved it. What
        ``then`` makes of the moved row is queued in the same transaction."""
        conditions = [MA.id == approval_id, MA.state.in_([s.value for s in expected])]
        if stale_before is not None:
            conditions += [MA.updated_at < stale_before,
                           or_(MA.claimed_at.is_(None), MA.claimed_at < stale_before)]
        if attempt is not None:
            conditions.append(MA.attempt == attempt)
        statement = (update(APPROVALS).where(*conditions)
                     .values(state=new.value, updated_at=utcnow(), **values)
                     .returning(*APPROVALS.c))

        def move(conn: Connection) -> MobProcApproval | None:
            row = conn.execute(statement).first()
            if row is None:
                return None
            approval = _approval(row)
            if actor is not None:
                insert_audit(conn, None, Audit(actor, f"mobproc_{new.value}", {
                    "approval": approval_id,
                    **{k: v for k, v in values.items() if k in ("action", "answer", "message")}}))
            if then is not None:
                queue_calls(conn, approval_id, then(approval))
            return approval

        return await in_transaction(self._engine, move)

    async def claim_answer(self, approval_id: str, *, actor: str, action: str,
                           reason: str | None, at: datetime) -> int | None:
        """WAITING → SENDING for one click: a new answer attempt, claimed at ``at`` (its lease
        runs from then); its number, or None if the row was not waiting."""
        statement = (update(APPROVALS)
                     .where(MA.id == approval_id, MA.state == ApprovalState.WAITING.value)
                     .values(state=ApprovalState.SENDING.value, action=action, reason=reason,
                             decided_at=at, claimed_at=at, attempt=MA.attempt + 1, answer=None,
                             message=None, updated_at=utcnow())
                     .returning(MA.attempt))

        def claim(conn: Connection) -> int | None:
            attempt = conn.execute(statement).scalar()
            if attempt is not None:
                insert_audit(conn, None, Audit(actor, f"mobproc_{ApprovalState.SENDING.value}",
                                               {"approval": approval_id, "action": action,
                                                "attempt": attempt}))
            return attempt

        return await in_transaction(self._engine, claim)

    async def holds(self, approval_id: str, attempt: int) -> bool:
        """Whether ``attempt`` is still the answer being sent: checked right before it leaves."""
        row = await reading(self._engine, _first, select(MA.id).where(
            MA.id == approval_id, MA.state == ApprovalState.SENDING.value,
            MA.attempt == attempt))
        return row is not None

    async def dm_posted(self, call_id: int, approval_id: str, channel: str, ts: str,
                        then: AfterPost) -> None:
        """The DM went out: its call leaves the queue and the row records it, in one
        transaction, with what ``then`` makes of the row as it is now (a change made while
        the DM waited to go out is shown on it)."""
        def record(conn: Connection) -> None:
            posted = conn.execute(select(OB.payload).where(OB.id == call_id)).scalar()
            conn.execute(update(OUTBOX).where(OB.id == call_id)
                         .values(sent_at=utcnow(), last_error=None))
            row = conn.execute(update(APPROVALS)
                               .where(MA.id == approval_id, MA.dm_ts.is_(None))
                               .values(dm_channel=channel, dm_ts=ts)
                               .returning(*APPROVALS.c)).first()
            if row is not None:
                queue_calls(conn, approval_id, then(posted or {}, _approval(row)))

        await in_transaction(self._engine, record)

    async def dm_refused(self, call_id: int, approval_id: str, error: str) -> bool:
        """Slack refused the DM for good: it leaves the queue (the order is still on the
        approver's Home). Nothing more to tell."""
        def record(conn: Connection) -> None:
            conn.execute(update(OUTBOX).where(OB.id == call_id)
                         .values(sent_at=utcnow(), last_error=error))

        await in_transaction(self._engine, record)
        return False

    async def without_dm(self, purpose: str, stale_before: datetime) -> list[MobProcApproval]:
        """Waiting rows with no DM and none queued, older than ``stale_before``: left by a
        version that posted DMs directly."""
        queued = select(OB.id).where(OB.request_id == MA.id, OB.purpose == purpose)
        return await self._list(select(APPROVALS).where(
            MA.state == ApprovalState.WAITING.value, MA.dm_ts.is_(None),
            MA.created_at < stale_before, ~queued.exists()).order_by(MA.created_at))

    async def queue_dm(self, approval_id: str, message: OutboxMessage, purpose: str) -> bool:
        """Queue a row's DM unless it was queued before; True if queued here."""
        try:
            await in_transaction(self._engine, queue_calls, approval_id, [message], purpose)
            return True
        except IntegrityError:
            return False

    async def people_who_used_the_bot(self) -> set[str]:
        """Everyone who asked for, typed in or decided a line order, or had an approval."""
        async with self._sessions() as session:
            found: set[str] = set()
            for column in (LineRequestRow.requester_id, LineRequestRow.entered_by,
                           LineRequestRow.decided_by, MobProcApprovalRow.approver_id):
                found.update(v for v in await session.scalars(select(column).distinct()) if v)
            return found


def _first(conn: Connection, statement: Any) -> Row[Any] | None:
    return conn.execute(statement).first()


def _approval(row: Any) -> MobProcApproval:
    return MobProcApproval(
        id=row.id, order_id=row.order_id, approver_id=row.approver_id,
        employee_id=row.employee_id, state=ApprovalState(row.state),
        order=Order.model_validate(row.order_json),
        definitions=[PropertyDefinition.model_validate(d) for d in row.definitions_json or []],
        action=row.action, reason=row.reason,
        answer=row.answer, message=row.message, decided_at=row.decided_at,
        dm_channel=row.dm_channel, dm_ts=row.dm_ts, created_at=row.created_at)
