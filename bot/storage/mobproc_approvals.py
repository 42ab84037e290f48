"""Rows of ``mobproc_approvals``: orders waiting in MobProc for a Slack user's decision.

Every state change is one conditional UPDATE, so two clicks or two bot processes can never
both send an answer, and the unique (order, approver) pair lets a DM go out once."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.domain import ApprovalState, MobProcApproval
from bot.mobproc.models import Order
from bot.storage.database import sessionmaker
from bot.storage.tables import AuditEventRow, LineRequestRow, MobProcApprovalRow, utcnow


class MobProcApprovalStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[Any] = sessionmaker(engine)

    async def add(self, order: Order, approver_id: str, employee_id: str
                  ) -> tuple[MobProcApproval, bool]:
        """Record that ``order`` waits for this approver: (the row, whether it is new). The
        new row is already claimed for its DM by the caller."""
        row = MobProcApprovalRow(
            id=uuid.uuid4().hex, order_id=order.orderId, approver_id=approver_id,
            employee_id=employee_id, state=ApprovalState.WAITING.value,
            order_json=order.model_dump(mode="json", by_alias=True, exclude_none=True),
            claimed_at=utcnow())
        try:
            async with self._sessions.begin() as session:
                session.add(row)
            return _approval(row), True
        except IntegrityError:  # found before, by this or another process
            found = await self.find(order.orderId, approver_id)
            assert found is not None
            return found, False

    async def get(self, approval_id: str) -> MobProcApproval | None:
        async with self._sessions() as session:
            row = await session.get(MobProcApprovalRow, approval_id)
            return _approval(row) if row else None

    async def find(self, order_id: str, approver_id: str) -> MobProcApproval | None:
        async with self._sessions() as session:
            row = await session.scalar(select(MobProcApprovalRow).where(
                MobProcApprovalRow.order_id == order_id,
                MobProcApprovalRow.approver_id == approver_id))
            return _approval(row) if row else None

    async def of(self, approver_id: str, states: Iterable[ApprovalState]
                 ) -> list[MobProcApproval]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(MobProcApprovalRow)
                .where(MobProcApprovalRow.approver_id == approver_id,
                       MobProcApprovalRow.state.in_([s.value for s in states]))
                .order_by(MobProcApprovalRow.created_at))
            return [_approval(r) for r in rows]

    async def in_states(self, states: Iterable[ApprovalState]) -> list[MobProcApproval]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(MobProcApprovalRow)
                .where(MobProcApprovalRow.state.in_([s.value for s in states]))
                .order_by(MobProcApprovalRow.created_at))
            return [_approval(r) for r in rows]

    async def transition(self, approval_id: str, expected: Iterable[ApprovalState],
                         new: ApprovalState, *, actor: str | None = None,
                         stale_before: datetime | None = None, **values: Any) -> bool:
        """Move the row to ``new`` only from one of ``expected`` (and, with ``stale_before``,
        only if untouched since then); True for the one caller that moved it."""
        conditions = [MobProcApprovalRow.id == approval_id,
                      MobProcApprovalRow.state.in_([s.value for s in expected])]
        if stale_before is not None:
            conditions.append(MobProcApprovalRow.updated_at < stale_before)
        async with self._sessions.begin() as session:
            result = await session.execute(update(MobProcApprovalRow).where(*conditions)
                                           .values(state=new.value, updated_at=utcnow(),
                                                   **values))
            moved = bool(result.rowcount)  # type: ignore[attr-defined]
            if moved and actor is not None:
                session.add(AuditEventRow(request_id=None, actor=actor,
                                          event=f"mobproc_{new.value}",
                                          detail={"approval": approval_id, **{
                                              k: v for k, v in values.items()
                                              if k in ("action", "answer", "message")}}))
            return moved

    async def claim_dm(self, approval_id: str, stale_before: datetime) -> bool:
        """Take a row whose DM was never recorded (its poster stopped) to post it again."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(MobProcApprovalRow)
                .where(MobProcApprovalRow.id == approval_id,
                       MobProcApprovalRow.dm_ts.is_(None),
                       or_(MobProcApprovalRow.claimed_at.is_(None),
                           MobProcApprovalRow.claimed_at < stale_before))
                .values(claimed_at=utcnow()))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def unposted(self) -> list[MobProcApproval]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(MobProcApprovalRow)
                .where(MobProcApprovalRow.dm_ts.is_(None),
                       MobProcApprovalRow.state == ApprovalState.WAITING.value))
            return [_approval(r) for r in rows]

    async def set_dm(self, approval_id: str, channel: str, ts: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(MobProcApprovalRow)
                                  .where(MobProcApprovalRow.id == approval_id)
                                  .values(dm_channel=channel, dm_ts=ts))

    async def people_who_used_the_bot(self) -> set[str]:
        """Everyone who asked for, typed in or decided a line order, or had an approval."""
        async with self._sessions() as session:
            found: set[str] = set()
            for column in (LineRequestRow.requester_id, LineRequestRow.entered_by,
                           LineRequestRow.decided_by, MobProcApprovalRow.approver_id):
                found.update(v for v in await session.scalars(select(column).distinct()) if v)
            return found


def _approval(row: MobProcApprovalRow) -> MobProcApproval:
    return MobProcApproval(
        id=row.id, order_id=row.order_id, approver_id=row.approver_id,
        employee_id=row.employee_id, state=ApprovalState(row.state),
        order=Order.model_validate(row.order_json), action=row.action, reason=row.reason,
        answer=row.answer, message=row.message, decided_at=row.decided_at,
        dm_channel=row.dm_channel, dm_ts=row.dm_ts, created_at=row.created_at)
