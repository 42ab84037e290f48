"""The audit log: one append-only row per thing that happened to a request, written in the
transaction of the change it records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.storage.tables import (
    AuditEventRow,
)
from bot.storage.transactions import in_transaction

AUDIT: Table = AuditEventRow.__table__  # type: ignore[assignment]
# The statements every flow runs most, built once with bound parameters: building one and
# working out its cache key again was a good part of a short statement's CPU.
_INSERT_AUDIT = insert(AUDIT)


@dataclass(frozen=True)
class Audit:
    """One audit event to record with a state change, in the same transaction."""

    actor: str
    event: str
    detail: dict[str, Any] | None = None


def insert_audit(conn: Connection, request_id: str | None, *entries: Audit) -> None:
    """Record audit ``entries`` (in order) on ``conn``'s transaction."""
    if entries:
        conn.execute(_INSERT_AUDIT, [
            {"request_id": request_id, "actor": e.actor, "event": e.event, "detail": e.detail}
            for e in entries])


def audit_row(request_id: str | None, entry: Audit) -> AuditEventRow:
    return AuditEventRow(request_id=request_id, actor=entry.actor, event=entry.event,
                         detail=entry.detail)


class AuditLog:
    """The audit log, mixed into ``RequestRepository``."""

    _engine: AsyncEngine
    _sessions: async_sessionmaker[Any]

    async def audit(self, request_id: str | None, entry: Audit) -> None:
        await in_transaction(self._engine, insert_audit, request_id, entry)

    async def audit_since(self, since: datetime) -> list[AuditEventRow]:
        async with self._sessions() as session:
            rows = await session.scalars(select(AuditEventRow)
                                         .where(AuditEventRow.at >= since)
                                         .order_by(AuditEventRow.id))
            return list(rows)
