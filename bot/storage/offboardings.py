"""Reads and writes of /offboard-lines requests. As for single orders, every state change is
one conditional UPDATE, so two clicks or two bot processes can't both make it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.domain import LineRequest
from bot.mobproc.models import ServiceAsset
from bot.offboarding_models import Offboarding, OffboardingState
from bot.storage.database import sessionmaker
from bot.storage.repository import Audit, request_from_row
from bot.storage.tables import AuditEventRow, LineRequestRow, OffboardingRow, utcnow


class OffboardingRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[Any] = sessionmaker(engine)

    async def create(self, offboarding: Offboarding) -> None:
        row = OffboardingRow(
            id=offboarding.id, state=offboarding.state.value,
            requester_id=offboarding.requester_id, requester_name=offboarding.requester_name,
            requester_email=offboarding.requester_email, employee_ref=offboarding.employee_ref,
            employee_name=offboarding.employee_name, origin_channel=offboarding.origin_channel,
            lines_json=[line.model_dump(mode="json", by_alias=True, exclude_none=True)
                        for line in offboarding.lines],
            choices_json={}, created_at=offboarding.created_at)
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

    async def orders(self, offboarding_id: str) -> list[LineRequest]:
        """The line orders of a request, in the order they were chosen."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(LineRequestRow).where(LineRequestRow.offboarding_id == offboarding_id)
                .order_by(LineRequestRow.created_at, LineRequestRow.id))
            return [request_from_row(r) for r in rows]

    async def transition(self, offboarding_id: str, expected: Iterable[OffboardingState],
                         new: OffboardingState, *, audit: Audit | None = None,
                         **values: Any) -> bool:
        """Move to ``new`` only from one of ``expected``; True for the one caller that did."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OffboardingRow)
                .where(OffboardingRow.id == offboarding_id,
                       OffboardingRow.state.in_([s.value for s in expected]))
                .values(state=new.value, updated_at=utcnow(), **values))
            moved = bool(result.rowcount)  # type: ignore[attr-defined]
            if moved and audit is not None:
                session.add(AuditEventRow(request_id=offboarding_id, actor=audit.actor,
                                          event=audit.event, detail=audit.detail))
            return moved

    async def save_choices(self, offboarding_id: str, choices: dict[str, str]) -> bool:
        """Merge one page of choices; only while lines are still being chosen."""
        async with self._sessions.begin() as session:
            row = await session.get(OffboardingRow, offboarding_id, with_for_update=True)
            if row is None or row.state != OffboardingState.CHOOSING.value:
                return False
            row.choices_json = {**(row.choices_json or {}), **choices}
            return True

    async def set_message_if_unset(self, offboarding_id: str, channel: str, ts: str) -> bool:
        """Record the approval message, only if none is yet; each line's news goes to its
        thread, so the lines get it too, in the same transaction."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OffboardingRow)
                .where(OffboardingRow.id == offboarding_id, OffboardingRow.approval_ts.is_(None))
                .values(approval_channel=channel, approval_ts=ts, updated_at=utcnow()))
            moved = bool(result.rowcount)  # type: ignore[attr-defined]
            if moved:
                await session.execute(
                    update(LineRequestRow).where(LineRequestRow.offboarding_id == offboarding_id)
                    .values(approval_channel=channel, approval_ts=ts))
            return moved


    async def claim_unposted(self, offboarding_id: str, stale_before: datetime) -> bool:
        """Take over posting the approval message of a request left pending without one
        since before ``stale_before`` (a crash between confirming and posting). Touching
        ``updated_at`` is the lease: a second taker sees it fresh and backs off."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OffboardingRow)
                .where(OffboardingRow.id == offboarding_id,
                       OffboardingRow.state == OffboardingState.PENDING.value,
                       OffboardingRow.approval_ts.is_(None),
                       OffboardingRow.updated_at < stale_before)
                .values(updated_at=utcnow()))
            return bool(result.rowcount)  # type: ignore[attr-defined]


def _offboarding(row: OffboardingRow) -> Offboarding:
    return Offboarding(
        id=row.id, state=OffboardingState(row.state), requester_id=row.requester_id,
        requester_name=row.requester_name, requester_email=row.requester_email,
        employee_ref=row.employee_ref, employee_name=row.employee_name,
        origin_channel=row.origin_channel,
        lines=[ServiceAsset.model_validate(line) for line in row.lines_json or []],
        choices=dict(row.choices_json or {}), approval_channel=row.approval_channel,
        approval_ts=row.approval_ts, decided_by=row.decided_by, decided_at=row.decided_at,
        created_at=row.created_at, updated_at=row.updated_at)
