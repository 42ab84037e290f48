"""Help-desk requests: a message naming a line becomes a ticket the bot can start an order
from, for the person who posted it."""

from __future__ import annotations

import re
import uuid

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
from bot.intent import DEFAULT_KEYWORDS, read_intent
from bot.mobproc.errors import MobProcError
from bot.mobproc.models import ServiceAsset, TransactionType
from bot.orders import UNAVAILABLE, OrderService, no_line_message
from bot.phone import NumberNotFound, ServiceNumber, parse_service_number
from bot.storage.repository import RequestRepository

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


class HelpdeskService:
    def __init__(self, orders: OrderService, repo: RequestRepository, *, region: str,
                 keywords: dict[TransactionType, list[str]] | None = None) -> None:
        self._orders = orders
        self._repo = repo
        self._region = region
        self._keywords = keywords or DEFAULT_KEYWORDS

    async def understand(self, *, channel: str, message_ts: str, poster_id: str,
                         text: str) -> Understanding | None:
        """None when the message names no line number: the bot then says nothing."""
        intent = read_intent(text, self._region, self._keywords)
        if intent is None:
            return None
        ticket, first_time = await self._repo.add_ticket(HelpdeskTicket(
            id=uuid.uuid4().hex, channel=channel, message_ts=message_ts, poster_id=poster_id,
            # In full (E.164): the button reads it back, and national digits would lose the
            # country (a UK number re-read as a US one).
            text=text[:4000], service_number=intent.number.e164))
        found = Understanding(ticket=ticket, number=intent.number, first_time=first_time)
        try:
            service = await self._orders.mobproc.find_service(intent.number)
        except MobProcError:
            found.problem = UNAVAILABLE
            return found
        if service is None:
            found.problem = no_line_message(intent.number)
            return found
        found.service = service
        found.allowed = [t for t in TransactionType if t.value in service.orderActions]
        wanted = intent.transaction_type
        if wanted is not None and wanted in found.allowed:
            found.suggested = wanted
        elif wanted is not None:
            found.problem = (f"{intent.number.display} can't be {ORDER_KINDS[wanted].past} "
                             f"right now: its status is {humanize_status(service.status)}.")
        elif not found.allowed:
            found.problem = (f"No order can be placed on {intent.number.display} right now: "
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
