"""Help-desk tickets: one per message naming a line, with its one reply queued in the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.domain import HelpdeskTicket
from bot.storage.outbox_queue import (
    _INSERT_OUTBOX,
    OB,
    OUTBOX,
    OutboxMessage,
    QueuedCall,
    queue_calls,
)
from bot.storage.statements import first_row
from bot.storage.tables import (
    HelpdeskTicketRow,
    utcnow,
)
from bot.storage.transactions import in_transaction, reading

# The outbox purpose of a help-desk ticket's reply: one per ticket (the outbox's unique key).
TICKET_REPLY = "helpdesk_reply"
# Why a ticket's reply call is marked sent without being sent: an older version answered it.
ANSWERED_BEFORE = "answered by an earlier version"
HELPDESK_TICKETS: Table = HelpdeskTicketRow.__table__  # type: ignore[assignment]
_TICKET_BY_MESSAGE = select(HELPDESK_TICKETS).where(
    HELPDESK_TICKETS.c.channel == bindparam("channel"),
    HELPDESK_TICKETS.c.message_ts == bindparam("message_ts"))


def ticket_from_row(row: Any) -> HelpdeskTicket:
    return HelpdeskTicket(id=row.id, channel=row.channel, message_ts=row.message_ts,
                          poster_id=row.poster_id, text=row.text,
                          service_number=row.service_number)


class Tickets:
    """Help-desk tickets, mixed into ``RequestRepository``."""

    _engine: AsyncEngine
    _sessions: async_sessionmaker[Any]
    _calls: dict[int, QueuedCall]

    async def add_ticket(self, ticket: HelpdeskTicket, reply: OutboxMessage | None = None
                         ) -> tuple[HelpdeskTicket, bool]:
        """Store a ticket once per message, with its ``reply`` queued in the same
        transaction (under the ticket's id and TICKET_REPLY, so at most one per ticket): (the
        ticket, whether it is new). A repeated delivery of the same message, here or in
        another replica, gets the stored ticket back and queues nothing."""
        def store(conn: Connection) -> None:
            conn.execute(insert(HELPDESK_TICKETS), ticket.model_dump())
            if reply is not None:
                queue_calls(conn, ticket.id, [reply], TICKET_REPLY)

        try:
            await in_transaction(self._engine, store)
            return ticket, True
        except IntegrityError:  # the unique (channel, message_ts) says: seen before
            existing = await reading(self._engine, first_row, _TICKET_BY_MESSAGE,
                                     {"channel": ticket.channel,
                                      "message_ts": ticket.message_ts})
            assert existing is not None
            return ticket_from_row(existing), False

    async def queue_reply_again(self, ticket_id: str, reply: OutboxMessage) -> bool:
        """Queue a ticket's reply again, only if Slack refused it for good (the bot was not
        in the channel, say); True if it was. Still one reply call per ticket: the refused
        one is put back in the queue with the new payload."""
        row = await in_transaction(self._engine, first_row, (
            update(OUTBOX)
            .where(OB.request_id == ticket_id, OB.purpose == TICKET_REPLY,
                   OB.sent_at.is_not(None), OB.last_error.is_not(None))
            .values(method=reply.method, payload=bindparam("payload", type_=OB.payload.type),
                    sent_at=None, claimed_at=None, attempts=0, last_error=None)
            .returning(OB.id)), {"payload": reply.args})
        if row is None:
            return False
        # The call's payload changed: this process's queue reads it anew. (Another process
        # that has not looked at its queue since the call left it may send the old payload:
        # the same reply to the same thread, a moment older.)
        self._calls.pop(row.id, None)
        return True

    async def tickets_without_reply(self, since: datetime, stale_before: datetime
                                    ) -> list[HelpdeskTicket]:
        """Tickets recorded since ``since`` and before ``stale_before`` with no reply queued:
        left by a version that posted the reply directly (and may have failed to)."""
        queued = select(OB.id).where(OB.request_id == HELPDESK_TICKETS.c.id,
                                     OB.purpose == TICKET_REPLY)
        rows = await self._rows(
            select(HELPDESK_TICKETS)
            .where(HELPDESK_TICKETS.c.created_at >= since,
                   HELPDESK_TICKETS.c.created_at < stale_before, ~queued.exists())
            .order_by(HELPDESK_TICKETS.c.created_at))
        return [ticket_from_row(r) for r in rows]

    async def ticket_answered(self, ticket_id: str) -> bool:
        """Record that an older version did answer this ticket (its reply is in the thread):
        a reply call marked sent, so it is neither queued nor looked for again."""
        def record(conn: Connection) -> None:
            conn.execute(_INSERT_OUTBOX, {
                "request_id": ticket_id, "method": "chat.postMessage", "payload": {},
                "purpose": TICKET_REPLY, "sent_at": utcnow(),
                "last_error": ANSWERED_BEFORE})

        try:
            await in_transaction(self._engine, record)
            return True
        except IntegrityError:
            return False

    async def get_ticket(self, ticket_id: str) -> HelpdeskTicket | None:
        async with self._sessions() as session:
            row = await session.get(HelpdeskTicketRow, ticket_id)
            return ticket_from_row(row) if row else None
