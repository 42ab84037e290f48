"""The approval lifecycle's writes, one path for both kinds of request: a single line's
request (a ``line_requests`` row) and a leaver's request (an ``offboardings`` row, its lines
in ``line_requests``, moved with it). Each kind's repository only turns rows into its own
domain objects.

Every move is one conditional UPDATE … RETURNING (the database decides who wins a race);
only the winner records what goes with it, in the same transaction: the audit, the news
queued in the outbox, the lines of a leaver's request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql import ColumnElement, Select

from bot.domain import RequestState
from bot.storage.audit import Audit, insert_audit
from bot.storage.outbox_queue import (
    _CALL_DONE,
    _CALL_SENT,
    OB,
    OutboxMessage,
    drop_unsent,
    queue_calls,
)
from bot.storage.tables import LineRequestRow, OffboardingRow, utcnow

LINE_REQUESTS: Table = LineRequestRow.__table__  # type: ignore[assignment]
OFFBOARDINGS: Table = OffboardingRow.__table__  # type: ignore[assignment]
LR = LINE_REQUESTS.c

# Both kinds' states spell waiting and cancelled alike.
PENDING = RequestState.PENDING.value
CANCELLED = RequestState.CANCELLED.value


@dataclass(frozen=True)
class Kind:
    """Where one kind of request is kept."""

    table: Table
    # A leaver's request: its lines (``line_requests.offboarding_id``) go with it.
    with_lines: bool


SINGLE = Kind(LINE_REQUESTS, with_lines=False)
BUNDLE = Kind(OFFBOARDINGS, with_lines=True)


@dataclass(frozen=True)
class LinesMove:
    """A leaver's request's lines still in ``expected`` move to ``new`` (with ``values``)
    together with the request, in its transaction: a crash can't leave a cancelled or
    expired request with lines still waiting (nothing would ever move them)."""

    new: RequestState
    expected: tuple[RequestState, ...] = (RequestState.PENDING,)
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Move:
    """A move of one request to ``new`` from one of ``expected``, and what its winner
    records with it: ``audit``; ``outbox`` (the news of the move) under ``outbox_key`` (else
    the request's id); ``queue_once`` (purpose, call), at most once per purpose; ``unqueue``,
    a purpose whose unsent call leaves the queue; ``lines``, the lines moved with it."""

    expected: tuple[str, ...]
    new: str
    values: Mapping[str, Any] = field(default_factory=dict)
    audit: Audit | None = None
    outbox: list[OutboxMessage] | None = None
    outbox_key: str | None = None
    queue_once: tuple[str, OutboxMessage] | None = None
    unqueue: str | None = None
    lines: LinesMove | None = None


def move(conn: Connection, kind: Kind, subject_id: str, change: Move) -> Row[Any] | None:
    """Make ``change``; the request as it now is, or None when another caller moved it."""
    t = kind.table.c
    row = conn.execute(
        update(kind.table).where(t.id == subject_id, t.state.in_(change.expected))
        .values(state=change.new, updated_at=utcnow(), **change.values)
        .returning(kind.table)).first()
    if row is None:
        return None
    if change.lines is not None:
        _move_lines(conn, subject_id, change.lines)
    record_change(conn, subject_id, change.audit, change.outbox_key, change.outbox)
    if change.unqueue is not None:
        drop_unsent(conn, subject_id, change.unqueue)
    if change.queue_once is not None:
        purpose, call = change.queue_once
        queue_calls(conn, subject_id, [call], purpose)
    return row


def record_change(conn: Connection, subject_id: str, audit: Audit | None,
                  outbox_key: str | None, outbox: list[OutboxMessage] | None) -> None:
    """What a state change's winner records with it, on its transaction."""
    if audit is not None:
        insert_audit(conn, subject_id, audit)
    queue_calls(conn, outbox_key or subject_id, outbox)


def _move_lines(conn: Connection, subject_id: str, lines: LinesMove) -> None:
    conn.execute(update(LINE_REQUESTS)
                 .where(LR.offboarding_id == subject_id,
                        LR.state.in_([s.value for s in lines.expected]))
                 .values(state=lines.new.value, updated_at=utcnow(), **lines.values))


def queue_while(conn: Connection, kind: Kind, subject_id: str, expected: Iterable[str],
                outbox: list[OutboxMessage], outbox_key: str | None = None,
                *also: ColumnElement[bool]) -> bool:
    """Queue ``outbox`` only while the request is in one of ``expected`` (and ``also``
    holds). The row is touched to lock it, so a concurrent move out of those states (and
    what it queues) comes after: news of a step can't be queued after news of a later one."""
    t = kind.table.c
    held = conn.execute(update(kind.table)
                        .where(t.id == subject_id, t.state.in_(list(expected)), *also)
                        .values(updated_at=utcnow())).rowcount
    if held:
        queue_calls(conn, outbox_key or subject_id, outbox)
    return bool(held)


def record_message(conn: Connection, kind: Kind, subject_id: str, channel: str, ts: str,
                   permalink: str | None = None) -> Row[Any] | None:
    """Record the request's approval message (and its link), only if it has none yet; the
    request as it now is, or None. A leaver's lines get it too: their news goes to its
    thread, and a line's own listing (/line-status, another request's warning) links it."""
    t = kind.table.c
    link = {"approval_permalink": permalink} if permalink else {}
    row = conn.execute(
        update(kind.table).where(t.id == subject_id, t.approval_ts.is_(None))
        .values(approval_channel=channel, approval_ts=ts, updated_at=utcnow(), **link)
        .returning(kind.table)).first()
    if row is not None and kind.with_lines:
        conn.execute(update(LINE_REQUESTS).where(LR.offboarding_id == subject_id)
                     .values(approval_channel=channel, approval_ts=ts, **link))
    return row


def approval_posted(conn: Connection, kind: Kind, call_id: int, subject_id: str,
                    channel: str, ts: str, permalink: str | None = None) -> Row[Any] | None:
    """The approval message's call went out: it leaves the queue and the request records
    the message. The request as recorded, for what follows it; None when another sender
    took the call off the queue first (and recorded it). A message already adopted (a click
    that came first) is kept: the link is recorded only if it is this one's."""
    if not conn.execute(_CALL_SENT, {"call_id": call_id, "now": utcnow()}).rowcount:
        return None
    row = record_message(conn, kind, subject_id, channel, ts, permalink)
    if row is not None:
        return row
    t = kind.table.c
    if permalink:
        conn.execute(update(kind.table)
                     .where(t.id == subject_id, t.approval_channel == channel,
                            t.approval_ts == ts)
                     .values(approval_permalink=permalink))
        if kind.with_lines:
            conn.execute(update(LINE_REQUESTS)
                         .where(LR.offboarding_id == subject_id,
                                LR.approval_channel == channel, LR.approval_ts == ts)
                         .values(approval_permalink=permalink))
    return conn.execute(select(kind.table).where(t.id == subject_id)).first()


def approval_refused(conn: Connection, kind: Kind, call_id: int, subject_id: str,
                     error: str) -> Row[Any] | None:
    """Slack refused the approval message for good: the call leaves the queue and the
    waiting request (with its lines) is cancelled on its requester's behalf, as if they had
    withdrawn it. The request as cancelled, or None when it no longer waited."""
    now = utcnow()
    conn.execute(_CALL_DONE, {"call_id": call_id, "now": now, "error": error})
    t = kind.table.c
    lines = LinesMove(RequestState.CANCELLED, values={
        "decided_by": LR.requester_id, "decided_at": now}) if kind.with_lines else None
    return move(conn, kind, subject_id, Move(
        (PENDING,), CANCELLED, {"decided_by": t.requester_id, "decided_at": now},
        audit=Audit("slack", "cancelled", {"reason": "approval message refused",
                                           "error": error}),
        lines=lines))


def without_approval_post(kind: Kind, purpose: str, stale_before: datetime) -> Select[Any]:
    """Waiting requests with no approval message and none queued under ``purpose``,
    untouched since ``stale_before``: left by a crash, or by a version that posted it
    directly. A leaver's lines are not requests of their own."""
    t = kind.table.c
    queued = select(OB.id).where(OB.request_id == t.id, OB.purpose == purpose)
    alone = [t.offboarding_id.is_(None)] if kind is SINGLE else []
    return (select(kind.table)
            .where(t.state == PENDING, t.approval_ts.is_(None), t.updated_at < stale_before,
                   ~queued.exists(), *alone)
            .order_by(t.created_at))


def lines_of(conn: Connection, subject_id: str) -> list[Row[Any]]:
    """A leaver's request's lines, in the order they were chosen."""
    return list(conn.execute(select(LINE_REQUESTS).where(LR.offboarding_id == subject_id)
                             .order_by(LR.created_at, LR.id)))


def states(values: Iterable[Any]) -> tuple[str, ...]:
    """State enums (either kind's) as the values stored."""
    return tuple(v.value for v in values)
