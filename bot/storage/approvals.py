"""Approvals of requests that need several approvers (``APPROVALS_REQUIRED``), and the
reminders of a request still waiting for them.

Each approval is a row, unique per request and approver. It is recorded in the transaction
that first locks the waiting request (a no-op conditional UPDATE: PostgreSQL's row lock,
SQLite's write lock), then counts the approvals and, at the last one, moves the request out
of waiting with a conditional UPDATE. Two approvers clicking at once are so taken one after
the other: the second counts the first's approval, and two last approvals can't both move
the request (the second finds it no longer waiting). Whoever's click records the change
queues its news in that same transaction.

The subject is a line request or a leaver's request (``/offboard-lines``): both tables have
``id``, ``state``, ``updated_at`` and ``reminders_sent``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.audit import Audit, insert_audit
from bot.storage.outbox_queue import OutboxMessage, queue_calls
from bot.storage.tables import ApprovalRow, utcnow
from bot.storage.transactions import in_transaction, reading

APPROVALS: Table = ApprovalRow.__table__  # type: ignore[assignment]
AP = APPROVALS.c


@dataclass(frozen=True)
class ApprovalProgress:
    """Who has approved a request so far (in order) and how many it needs."""

    approvers: tuple[str, ...]
    required: int

    @property
    def remaining(self) -> int:
        return max(self.required - len(self.approvers), 0)

    def approved_by(self, user_id: str) -> bool:
        return user_id in self.approvers


class Counted(StrEnum):
    LAST = "last"  # this approval was the last needed: the request moved on
    RECORDED = "recorded"  # counted; more approvals are needed
    ALREADY_BY_YOU = "already_by_you"  # this approver had approved it before: nothing changed
    NOT_WAITING = "not_waiting"  # the request no longer waits for approval: nothing changed


@dataclass(frozen=True)
class ApprovalCount:
    outcome: Counted
    progress: ApprovalProgress


# What a change tells, rendered from the progress it made, to be queued with it.
ProgressNews = Callable[[ApprovalProgress], list[OutboxMessage]]


@dataclass(frozen=True)
class ApprovalStep:
    """One approval of one subject, and what each outcome records and queues with it."""

    table: Table
    subject_id: str
    waiting: str  # the state value that waits for approval
    approved: str  # the state value it moves to at the last approval
    approver: str
    required: int
    on_last: Mapping[str, Any]  # further values set by the move
    last_news: ProgressNews | None = None
    partial_news: ProgressNews | None = None
    outbox_key: str | None = None


def count_approval(conn: Connection, step: ApprovalStep) -> ApprovalCount:
    """Record ``step.approver``'s approval on ``conn``'s transaction, counting it, and move
    the subject on at the last one needed. See the module's docstring."""
    t = step.table.c
    if step.required <= 1:
        return _count_only_approval(conn, step)
    locked = conn.execute(
        update(step.table).where(t.id == step.subject_id, t.state == step.waiting)
        # Changes nothing (updated_at kept, not bumped by its onupdate): it only locks.
        .values(state=t.state, updated_at=t.updated_at)).rowcount
    before = _approvers(conn, step.subject_id)
    if not locked:
        return ApprovalCount(Counted.NOT_WAITING, ApprovalProgress(before, step.required))
    if step.approver in before:
        return ApprovalCount(Counted.ALREADY_BY_YOU, ApprovalProgress(before, step.required))
    conn.execute(insert(APPROVALS), {"subject_id": step.subject_id,
                                     "approver_id": step.approver, "approved_at": utcnow()})
    progress = ApprovalProgress((*before, step.approver), step.required)
    detail = ({"approvals": len(progress.approvers), "required": step.required}
              if step.required > 1 else None)
    key = step.outbox_key or step.subject_id
    if progress.remaining:
        insert_audit(conn, step.subject_id, Audit(step.approver, "approval", detail))
        if step.partial_news is not None:
            queue_calls(conn, key, step.partial_news(progress))
        return ApprovalCount(Counted.RECORDED, progress)
    row = conn.execute(
        update(step.table).where(t.id == step.subject_id, t.state == step.waiting)
        .values(state=step.approved, updated_at=utcnow(), **step.on_last)
        .returning(t.id)).first()
    # The lock above holds the row: nothing can have moved it since.
    assert row is not None
    insert_audit(conn, step.subject_id, Audit(step.approver, "approved", detail))
    if step.last_news is not None:
        queue_calls(conn, key, step.last_news(progress))
    return ApprovalCount(Counted.LAST, progress)


def _count_only_approval(conn: Connection, step: ApprovalStep) -> ApprovalCount:
    """One approval is all it needs: the conditional move is the count (of two clicks at
    once, one moves it), so nothing is locked or read first."""
    t = step.table.c
    progress = ApprovalProgress((step.approver,), step.required)
    row = conn.execute(
        update(step.table).where(t.id == step.subject_id, t.state == step.waiting)
        .values(state=step.approved, updated_at=utcnow(), **step.on_last)
        .returning(t.id)).first()
    if row is None:
        return ApprovalCount(Counted.NOT_WAITING, ApprovalProgress(
            _approvers(conn, step.subject_id), step.required))
    # No approvals row: the move records who decided, and rows are read only while waiting.
    insert_audit(conn, step.subject_id, Audit(step.approver, "approved", None))
    if step.last_news is not None:
        queue_calls(conn, step.outbox_key or step.subject_id, step.last_news(progress))
    return ApprovalCount(Counted.LAST, progress)


def _approvers(conn: Connection, subject_id: str) -> tuple[str, ...]:
    return tuple(conn.execute(select(AP.approver_id).where(AP.subject_id == subject_id)
                              .order_by(AP.id)).scalars())


@dataclass(frozen=True)
class Reminder:
    """Reminder number ``sent_before + 1`` of one waiting subject, and what it tells."""

    table: Table
    subject_id: str
    waiting: str  # the state value that waits for approval
    sent_before: int
    outbox: list[OutboxMessage]
    outbox_key: str | None = None


def count_reminder(conn: Connection, reminder: Reminder) -> bool:
    """Count the reminder and queue what it tells, only while the subject waits and nobody
    counted it yet (another replica's round): True for the one caller that did."""
    t = reminder.table.c
    counted = conn.execute(
        update(reminder.table)
        .where(t.id == reminder.subject_id, t.state == reminder.waiting,
               t.reminders_sent == reminder.sent_before)
        .values(reminders_sent=reminder.sent_before + 1)).rowcount
    if counted:
        insert_audit(conn, reminder.subject_id,
                     Audit("bot", "reminded", {"number": reminder.sent_before + 1}))
        queue_calls(conn, reminder.outbox_key or reminder.subject_id, reminder.outbox)
    return bool(counted)


class ApprovalStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def count(self, step: ApprovalStep) -> ApprovalCount:
        return await in_transaction(self._engine, count_approval, step)

    async def count_reminder(self, reminder: Reminder) -> bool:
        return await in_transaction(self._engine, count_reminder, reminder)

    async def approvers(self, subject_ids: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Who has approved each subject so far, in order (subjects with none left out)."""
        ids = list(subject_ids)
        if not ids:
            return {}

        def read(conn: Connection) -> dict[str, tuple[str, ...]]:
            found: dict[str, list[str]] = {}
            for start in range(0, len(ids), 500):
                rows = conn.execute(select(AP.subject_id, AP.approver_id)
                                    .where(AP.subject_id.in_(ids[start:start + 500]))
                                    .order_by(AP.id))
                for subject, approver in rows:
                    found.setdefault(subject, []).append(approver)
            return {k: tuple(v) for k, v in found.items()}

        return await reading(self._engine, read)
