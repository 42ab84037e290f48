"""Help-desk requests: a message naming a line becomes a ticket the bot can start an order
from, for the person who posted it.

The ticket's reply is queued in the outbox in the transaction that records the ticket, under
the ticket's id and its own purpose: Slack failing at that moment only delays it, and a
redelivered event or a second replica, which find the ticket recorded, queue nothing. A
ticket an older version recorded (it posted the reply directly, and may have failed to) is
answered by ``repair`` unless its thread shows the bot's answer.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import Field

from bot.domain import (
    ORDER_KINDS,
    DomainModel,
    FieldInput,
    FormInput,
    HelpdeskTicket,
    OrderForm,
    humanize_status,
)
from bot.helpdesk.intent import DEFAULT_KEYWORDS, read_intent
from bot.mobproc.errors import MobProcError
from bot.mobproc.models import ServiceAsset, TransactionType
from bot.orders.service import UNAVAILABLE, OrderService, no_line_message
from bot.phone import NumberNotFound, ServiceNumber, parse_service_number
from bot.storage.outbox_queue import OutboxMessage
from bot.storage.requests import RequestRepository
from bot.storage.tickets import TICKET_REPLY

log = logging.getLogger(__name__)

# A property that carries free text gets the help-desk message, so nothing said is lost.
NOTES_PROPERTY = "ADDITIONAL_INSTRUCTIONS"


class Understanding(DomainModel):
    """What the bot made of a help-desk message, for its threaded reply."""

    ticket: HelpdeskTicket
    number: ServiceNumber
    service: ServiceAsset | None = None
    suggested: TransactionType | None = None
    allowed: list[TransactionType] = Field(default_factory=list)
    problem: str | None = None
    first_time: bool = True  # False when Slack delivered the same message again


# The Slack side renders the reply (nothing here builds a message); it is queued with the
# ticket. For ``repair``, given the thread it goes to.
Reply = Callable[[Understanding], OutboxMessage]
ThreadReply = Callable[[Understanding, str], OutboxMessage]
# A ticket recorded by an older version is answered only this long after it came in: later,
# a reply would only confuse.
REPAIR_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Thread:
    """What Slack shows of a ticket's thread: where a reply goes, and whether the bot has
    already answered the ticket's message there."""

    ts: str
    answered: bool


# Reads a ticket's thread from Slack; None when Slack can't say now (tried again later).
LookAtThread = Callable[[HelpdeskTicket], Awaitable[Thread | None]]


class HelpdeskService:
    def __init__(self, orders: OrderService, repo: RequestRepository, *, region: str,
                 keywords: dict[TransactionType, list[str]] | None = None) -> None:
        self._orders = orders
        self._repo = repo
        self._region = region
        self._keywords = keywords or DEFAULT_KEYWORDS

    async def understand(self, *, channel: str, message_ts: str, poster_id: str, text: str,
                         reply: Reply | None = None) -> Understanding | None:
        """None when the message names no line number: the bot then says nothing. Otherwise
        the ticket is recorded once per message, with what ``reply`` renders queued in the
        same transaction; ``first_time`` is False (and nothing is queued) when it was
        recorded before."""
        intent = read_intent(text, self._region, self._keywords)
        if intent is None:
            return None
        ticket = HelpdeskTicket(id=uuid.uuid4().hex, channel=channel, message_ts=message_ts,
                                poster_id=poster_id, text=text[:4000],
                                # In full (E.164): the button reads it back, and national digits
                                # would lose the country (a UK number re-read as a US one).
                                service_number=intent.number.e164)
        # Looked up before the ticket is recorded: the reply, queued with it, says what
        # MobProc has.
        found = await self._look_up(ticket)
        stored, first_time = await self._repo.add_ticket(
            ticket, reply(found) if reply is not None else None)
        return found.model_copy(update={"ticket": stored, "first_time": first_time})

    async def queue_reply_again(self, found: Understanding, reply: Reply) -> bool:
        """Queue a recorded ticket's reply again if Slack refused it for good (the bot was
        not in the channel and has been invited since); False if it went out or waits."""
        return await self._repo.queue_reply_again(found.ticket.id, reply(found))

    async def repair(self, look: LookAtThread, reply: ThreadReply, *,
                     lease_seconds: float) -> list[HelpdeskTicket]:
        """Answer the tickets an older version recorded without a queued reply, in the last
        REPAIR_WINDOW, unless their thread shows the bot's answer; returns those queued."""
        now = datetime.now(UTC)
        repaired: list[HelpdeskTicket] = []
        for ticket in await self._repo.tickets_without_reply(
                now - REPAIR_WINDOW, now - timedelta(seconds=lease_seconds)):
            thread = await look(ticket)
            if thread is None:
                continue
            if thread.answered:
                await self._repo.ticket_answered(ticket.id)
                continue
            found = await self._look_up(ticket)
            if await self._repo.enqueue_once(ticket.id, reply(found, thread.ts),
                                             TICKET_REPLY):
                log.warning("Help-desk message %s in %s had no reply; queued it",
                            ticket.message_ts, ticket.channel)
                repaired.append(ticket)
        return repaired

    async def _look_up(self, ticket: HelpdeskTicket) -> Understanding:
        intent = read_intent(ticket.text, self._region, self._keywords)
        number = intent.number if intent is not None else \
            ticket_number(ticket, self._region)
        found = Understanding(ticket=ticket, number=number)
        try:
            service = await self._orders.mobproc.find_service(number)
        except MobProcError:
            found.problem = UNAVAILABLE
            return found
        if service is None:
            found.problem = no_line_message(number)
            return found
        found.service = service
        found.allowed = [t for t in TransactionType if t.value in service.orderActions]
        wanted = intent.transaction_type if intent is not None else None
        if wanted is not None and wanted in found.allowed:
            found.suggested = wanted
        elif wanted is not None:
            found.problem = (f"{number.display} can't be {ORDER_KINDS[wanted].past} "
                             f"right now: its status is {humanize_status(service.status)}.")
        elif not found.allowed:
            found.problem = (f"No order can be placed on {number.display} right now: "
                             f"its status is {humanize_status(service.status)}.")
        return found

    async def ticket(self, ticket_id: str) -> HelpdeskTicket | None:
        return await self._repo.get_ticket(ticket_id)


def ticket_number(ticket: HelpdeskTicket, region: str) -> ServiceNumber:
    """The line a ticket names. Tickets store it in E.164; one stored before that holds
    national digits only, so its country is read again from the message it came from."""
    stored = ticket.service_number
    if not stored.startswith("+"):
        try:
            again = parse_service_number(ticket.text, region)
        except NumberNotFound:
            again = None
        if again is not None and again.e164.endswith(stored):
            return again
    return parse_service_number(stored, region)


def prefill(form: OrderForm, ticket: HelpdeskTicket) -> FormInput:
    """The help-desk message in the notes, and a choice its words name (e.g. "stolen")."""
    words = set(re.findall(r"[a-z]+", ticket.text.lower()))
    fields: dict[str, FieldInput] = {}
    for group in form.property_groups:
        for definition in group.fields:
            kind = definition.type.upper()
            if definition.id.upper() == NOTES_PROPERTY and kind == "TEXT":
                limit = min(definition.maxLength or 3000, 3000)
                fields[definition.id] = FieldInput(text=ticket.text[:limit])
            elif kind == "CHOICE":
                for choice in definition.choices:
                    label_words = set(re.findall(r"[a-z]+", (choice.label or "").lower()))
                    if not choice.isOther and label_words & words - {"device", "line", "the"}:
                        fields[definition.id] = FieldInput(choice_id=choice.id)
                        break
    return FormInput(fields=fields)
