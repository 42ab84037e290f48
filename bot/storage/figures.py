"""Figures describing the shared database, read when metrics are scraped: every replica
reports the same backlog, so an alert does not depend on which replica was asked."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain import RequestState
from bot.storage.tables import LineRequestRow, OutboxRow


class RequestCount(BaseModel):
    transaction_type: str
    state: str
    count: int


class DatabaseFigures(BaseModel):
    requests: list[RequestCount]
    pending_approvals: int
    oldest_pending_since: datetime | None
    outbox_backlog: int
    oldest_queued_since: datetime | None


async def read_figures(engine: AsyncEngine) -> DatabaseFigures:
    async with engine.connect() as connection:
        counts = (await connection.execute(
            select(LineRequestRow.transaction_type, LineRequestRow.state, func.count())
            .group_by(LineRequestRow.transaction_type, LineRequestRow.state))).all()
        pending, pending_since = (await connection.execute(
            select(func.count(), func.min(LineRequestRow.created_at))
            .where(LineRequestRow.state == RequestState.PENDING.value))).one()
        queued, queued_since = (await connection.execute(
            select(func.count(), func.min(OutboxRow.created_at))
            .where(OutboxRow.sent_at.is_(None)))).one()
    return DatabaseFigures(
        requests=[RequestCount(transaction_type=t, state=s, count=n) for t, s, n in counts],
        pending_approvals=pending, oldest_pending_since=pending_since,
        outbox_backlog=queued, oldest_queued_since=queued_since)
