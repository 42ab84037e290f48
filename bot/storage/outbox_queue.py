"""The outbox's queue in the database: Slack calls queued in the transaction of the change that
calls for them, claimed by one sender at a time under a fenced lease (``bot.effects``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from types import MappingProxyType
from typing import Any

from sqlalchemy import Table, bindparam, case, insert, literal, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.statements import first_row
from bot.storage.tables import (
    OutboxRow,
    StatusEventRow,
    utcnow,
)
from bot.storage.transactions import in_transaction, reading

# A claim taken over from a sender that never said how its attempt went (it died mid-call).
ABANDONED = "abandoned"
# A call taken off the queue unsent because the change it was for was undone first.
DROPPED = "dropped: no longer wanted"
OUTBOX: Table = OutboxRow.__table__  # type: ignore[assignment]
OB = OUTBOX.c
STATUS_EVENTS_TABLE: Table = StatusEventRow.__table__  # type: ignore[assignment]
_INSERT_OUTBOX = insert(OUTBOX)
_WAITING_CALLS = select(OB.id).where(OB.sent_at.is_(None)).order_by(OB.id)
_CLAIM_CALL = (
    update(OUTBOX)
    .where(OB.id == bindparam("call_id"), OB.sent_at.is_(None),
           OB.claimed_at.is_(None) | (OB.claimed_at < bindparam("stale_before")))
    # SET sees the row as it was: a claim still there was abandoned.
    .values(claimed_at=bindparam("now"), attempts=OB.attempts + 1,
            last_error=case((OB.claimed_at.is_(None), OB.last_error),
                            else_=literal(ABANDONED)))
    .returning(OB.attempts, OB.last_error, OB.claimed_at, OB.created_at))
_CALL_DONE = (update(OUTBOX).where(OB.id == bindparam("call_id"))
              .values(sent_at=bindparam("now"), last_error=bindparam("error")))
# Sent, only if no other sender recorded it first: what follows the call is queued once.
_CALL_SENT = (update(OUTBOX).where(OB.id == bindparam("call_id"), OB.sent_at.is_(None))
              .values(sent_at=bindparam("now"), last_error=None))
# Only the attempt holding the claim lets it go: a sender that was taken over must not free
# (or speak for) the claim of the one that took over.
_CALL_FAILED = (update(OUTBOX).where(OB.id == bindparam("call_id"), OB.sent_at.is_(None),
                                     OB.attempts == bindparam("attempt"))
                .values(claimed_at=None, last_error=bindparam("error")))
_CALL_HELD = select(OB.id).where(OB.id == bindparam("call_id"), OB.sent_at.is_(None),
                                 OB.claimed_at.is_not(None),
                                 OB.attempts == bindparam("attempt"))


@dataclass(frozen=True)
class OutboxMessage:
    """A Slack Web API call to make later: ``method`` with JSON ``args``."""

    method: str
    args: dict[str, Any]


@dataclass(frozen=True)
class QueuedCall:
    """A call waiting in the outbox: what never changes once it is queued. The same object
    stays in the outbox's queue while the call waits, so what is worked out from it once is
    kept (``posts_to``). How earlier attempts went is the claim's to say (``Claim``)."""

    id: int
    request_id: str
    method: str
    args: Mapping[str, Any]
    purpose: str | None = None

    @cached_property
    def posts_to(self) -> str | None:
        """The channel a new message goes to (``chat.postMessage``); None for other calls."""
        if self.method != "chat.postMessage":
            return None
        channel = self.args.get("channel")
        return str(channel) if channel else None


@dataclass(frozen=True)
class Claim:
    """A queued call taken to send, and how its earlier attempts went, as the claim found
    them: ``last_error`` is ABANDONED when the claim was taken over from a sender that
    stopped mid-call. Read in the statement that takes the call, so no other sender's
    attempt can come between what it says and the send.

    ``attempt`` (the row's ``attempts`` after the claim) is the claim's fence token: a
    takeover raises it, so a sender checks it is still current right before it sends.
    Its lease runs from ``claimed_at``, the time other senders judge it by. ``queued_at``:
    nothing the call posts can be older."""

    earlier_attempts: int
    last_error: str | None
    claimed_at: datetime
    queued_at: datetime

    @property
    def attempt(self) -> int:
        return self.earlier_attempts + 1


def queue_calls(conn: Connection, request_id: str, messages: list[OutboxMessage] | None,
                purpose: str | None = None) -> None:
    """Queue ``messages`` (in order) on ``conn``'s transaction."""
    if messages:
        conn.execute(_INSERT_OUTBOX, [
            {"request_id": request_id, "method": m.method, "payload": m.args,
             "purpose": purpose} for m in messages])


def drop_unsent(conn: Connection, request_id: str, purpose: str) -> None:
    """Take the request's call queued under ``purpose`` off the queue unsent, on ``conn``'s
    transaction (a request withdrawn or expired before its approval message went out: that
    message would only show a manager live buttons for a request that is gone). Marked as
    left (``sent_at``) with the reason, as a call Slack refused for good is.

    Only a call that surely never went out: not claimed now, and never tried or only turned
    away (429). One that may be out (in flight, or its answer lost) stays queued; once it is
    found or sent, recording it queues its message's update to the request's end."""
    never_out = OB.claimed_at.is_(None) & (
        (OB.attempts == 0) | OB.last_error.in_(("ratelimited", "429")))
    conn.execute(update(OUTBOX)
                 .where(OB.request_id == request_id, OB.purpose == purpose,
                        OB.sent_at.is_(None), never_out)
                 .values(sent_at=utcnow(), last_error=DROPPED))


class OutboxQueue:
    """The outbox's queue, mixed into ``RequestRepository``."""

    _engine: AsyncEngine
    _calls: dict[int, QueuedCall]  # the queue as last read

    async def enqueue(self, request_id: str, messages: list[OutboxMessage], *,
                      event_id: int | None = None) -> None:
        """Queue Slack calls; with ``event_id``, mark that status event handled in the same
        transaction, so a change is queued exactly once."""
        def queue(conn: Connection) -> None:
            if event_id is not None:
                # Keyed on "not yet queued": of two replicas queuing it, one does.
                marked = conn.execute(update(STATUS_EVENTS_TABLE)
                                      .where(STATUS_EVENTS_TABLE.c.id == event_id,
                                             STATUS_EVENTS_TABLE.c.posted_at.is_(None))
                                      .values(posted_at=utcnow()))
                if not marked.rowcount:
                    return
            queue_calls(conn, request_id, messages)

        await in_transaction(self._engine, queue)

    async def enqueue_once(self, request_id: str, message: OutboxMessage, purpose: str
                           ) -> bool:
        """Queue a call that may exist only once per request and ``purpose``; False if it was
        queued before (by this process, another one, or an earlier run)."""
        try:
            await in_transaction(self._engine, queue_calls, request_id, [message], purpose)
            return True
        except IntegrityError:
            return False

    async def queued_calls(self) -> list[QueuedCall]:
        """What waits in the outbox, in order.

        The outbox looks at its queue after every change, and under a burst (posts paced by
        Slack's limit) the queue holds hundreds of calls. A call never changes once queued,
        so a look reads only which calls still wait, and a call's payload is read once: the
        same object as before stands for it. Its ``args`` are shared, so they are
        read-only.
        """
        waiting = await reading(self._engine, self._look_at_queue)
        calls = {i: self._calls[i] for i in waiting}
        self._calls = calls  # what left the queue is forgotten
        return list(calls.values())

    def _look_at_queue(self, conn: Connection) -> list[int]:
        """The ids of the calls still waiting, reading the calls not known yet."""
        waiting = list(conn.execute(_WAITING_CALLS).scalars())
        missing = [i for i in waiting if i not in self._calls]
        for start in range(0, len(missing), 500):
            found = conn.execute(
                select(OB.id, OB.request_id, OB.method, OB.purpose, OB.payload)
                .where(OB.id.in_(missing[start:start + 500])))
            for f in found:
                self._calls[f.id] = QueuedCall(f.id, f.request_id, f.method,
                                               MappingProxyType(f.payload), f.purpose)
        return waiting

    async def claim_call(self, call_id: int, stale_before: datetime) -> Claim | None:
        """Take a queued call to send it; None if it is sent or another sender holds a fresh
        claim. A claim older than ``stale_before`` (its lease lapsed) was abandoned and is
        taken over: the attempt number goes up, fencing the old sender off."""
        row = await in_transaction(self._engine, first_row, _CLAIM_CALL, {
            "call_id": call_id, "now": utcnow(), "stale_before": stale_before})
        return None if row is None else Claim(row.attempts - 1, row.last_error,
                                              row.claimed_at, row.created_at)

    async def call_held(self, call_id: int, attempt: int) -> bool:
        """Whether ``attempt`` still holds the call: not sent, not let go, not taken over."""
        return await reading(self._engine, first_row, _CALL_HELD,
                             {"call_id": call_id, "attempt": attempt}) is not None

    async def call_done(self, call_id: int, *, error: str | None = None) -> None:
        """Sent, or given up on for good (``error``): either way it leaves the queue."""
        await self._changed(_CALL_DONE, {"call_id": call_id, "now": utcnow(), "error": error})

    async def call_failed(self, call_id: int, error: str, attempt: int) -> None:
        """A passing failure of ``attempt``: release its claim so the next round retries
        it; nothing if another attempt has taken the call over meanwhile."""
        await self._changed(_CALL_FAILED, {"call_id": call_id, "error": error,
                                           "attempt": attempt})
