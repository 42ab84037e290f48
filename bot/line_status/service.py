"""``/line-status``: a line's state and its last orders, from storage and MobProc."""

from __future__ import annotations

import re

from pydantic import Field

from bot.domain import DomainModel, LineRequest
from bot.mobproc.errors import MobProcError, MobProcNotFound
from bot.mobproc.models import ServiceAsset
from bot.orders.service import UNAVAILABLE, OrderRefused, OrderService, no_line_message
from bot.phone import ServiceNumber
from bot.storage.requests import RequestRepository

ORDER_ID = re.compile(r"^\s*#?(\d{4,12})\s*$")


class StatusStep(DomainModel):
    status: str
    at: str | None = None


class LineStatus(DomainModel):
    service: ServiceAsset
    requests: list[LineRequest] = Field(default_factory=list)
    history: dict[str, list[StatusStep]] = Field(default_factory=dict)  # by request id
    asked_for_order: str | None = None


async def line_status(orders: OrderService, repo: RequestRepository, text: str) -> LineStatus:
    """Raises ``OrderRefused`` with a message for the person when there is nothing to show."""
    if not text.strip():
        raise OrderRefused("Usage: /line-status 415-555-0199 (a line) or /line-status 9000001 "
                           "(a MobProc order id).")
    mobproc = orders.mobproc
    asked_for_order: str | None = None
    digits: str | None = None
    match = ORDER_ID.match(text)
    if match:
        stored = await repo.by_order_id(match.group(1))
        if stored is not None:
            digits, asked_for_order = stored.service.serviceNumber, match.group(1)
        else:
            try:
                order = await mobproc.get_order(match.group(1))
                digits, asked_for_order = order.serviceNumber, match.group(1)
            except MobProcNotFound:
                pass
            except MobProcError:
                raise OrderRefused(UNAVAILABLE) from None
    # A typed number is matched in full (E.164); an order's serviceNumber is MobProc's own
    # digits, read with the assumed rule for the tenant's region.
    number: ServiceNumber | str
    if digits is not None:
        number = digits
    else:
        try:
            number = orders.parse_number(text)
        except OrderRefused:
            raise OrderRefused(f"I found neither a line number nor a MobProc order "
                               f"“{text.strip()[:40]}”.") from None
    try:
        service = await mobproc.find_service(number, region=orders.region)
    except MobProcError:
        raise OrderRefused(UNAVAILABLE) from None
    if service is None:
        if isinstance(number, str):
            raise OrderRefused(f"MobProc has no line {orders.display_digits(number)}.")
        if number.country is None:
            raise OrderRefused(f"MobProc has no line {number.display}.")
        raise OrderRefused(no_line_message(number))
    # MobProc's own serviceNumber of the line found: one string per line (the assumed rule
    # writes the UK and US lines apart), as stored with each request.
    requests = await repo.for_line(service.serviceNumber)
    history: dict[str, list[StatusStep]] = {}
    for request in requests:
        history[request.id] = await _history(orders, repo, request)
    return LineStatus(service=service, requests=requests, history=history,
                      asked_for_order=asked_for_order)


async def _history(orders: OrderService, repo: RequestRepository, request: LineRequest
                   ) -> list[StatusStep]:
    """MobProc's own history of the order when it has one; else the statuses the bot saw."""
    if request.order_id:
        try:
            order = await orders.mobproc.get_order(request.order_id)
            if order.segments:
                entries = await orders.mobproc.get_history(order.orderId,
                                                           order.segments[0].orderSegmentId)
                if entries:
                    return [StatusStep(status=e.status,
                                       at=e.date.isoformat() if e.date else None)
                            for e in entries]
        except MobProcError:
            pass  # MobProc down: what was stored still tells most of the story
    seen = [StatusStep(status=e.new_status, at=e.seen_at.isoformat() if e.seen_at else None)
            for e in await repo.statuses_seen(request.id)]
    if request.order_id:
        seen = [StatusStep(status="ORDER_SUBMITTED"),
                *[s for s in seen if s.status != "ORDER_SUBMITTED"]]
    return seen
