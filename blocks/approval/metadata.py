"""The Slack message metadata of a line order's messages: what other apps and workflows read
instead of the text.

Every message about an order carries ``LINE_ORDER_EVENT`` with one payload built here, from
the domain object the message shows, so the approval message, its updates and the news in
its thread can't drift apart. The payload is a stable contract (README, "Message
metadata"): the same keys on every message, only the values move.

A line order (a single-line request)::

    {"request_id": str, "state": str, "line": str, "order_type": str,
     "order_id": str, "mobproc_status": str}

A leaver's request (``/offboard-lines``), on its approval message, the message's updates and
every reply in its thread::

    {"request_id": str, "state": str, "lines": [<a line order's payload>, ...]}

``lines`` holds the lines the message tells of: every chosen line on the approval message,
its updates and the request-wide news (decision, reminders, expiry, summary); only that line
on a line's own news (placed, each status change). So a consumer reads
``payload.get("lines") or [payload]`` and always gets line orders of one shape.

Slack takes strings, numbers, booleans, objects of them and lists of such objects, never
null: a value not known yet (``order_id`` and ``mobproc_status`` before MobProc has the
order) is the empty string, never absent, so the keys stay the same all along."""

from __future__ import annotations

from typing import Any

from bot.domain import LineRequest, RequestState, StatusChange
from bot.effects.outbox import APPROVAL_EVENT
from bot.mobproc import assumed
from bot.offboarding.models import OffboardingState, OffboardingView

# The event type of every message about a line order (the approval message names its
# request with ``request_id``, as ``bot.effects.outbox`` and the click guard read it).
LINE_ORDER_EVENT = APPROVAL_EVENT
# The keys of a line order's payload (and of each entry of a leaver's request's ``lines``).
LINE_ORDER_KEYS = frozenset({"request_id", "state", "line", "order_type", "order_id",
                             "mobproc_status"})
# The keys of a leaver's request's payload.
BUNDLE_KEYS = frozenset({"request_id", "state", "lines"})


def line_number(request: LineRequest, region: str) -> str:
    """The line in E.164 (read from MobProc's digits with the tenant's rule, as lines are
    matched); MobProc's own ``serviceNumber`` when it reads as no number."""
    number = request.service.serviceNumber
    return assumed.service_number_e164(number, region) or number


def line_order_payload(request: LineRequest, region: str) -> dict[str, str]:
    """One line order, as every message about it tells it (see the module's doc)."""
    return {
        "request_id": request.id,
        "state": request.state.value,
        "line": line_number(request, region),
        "order_type": request.transaction_type.value,
        # Empty until MobProc has the order (Slack takes no null).
        "order_id": request.order_id or "",
        "mobproc_status": request.order_status or "",
    }


def line_order_metadata(request: LineRequest, region: str) -> dict[str, Any]:
    """The metadata of a message about a single-line request: its approval message, the
    message's updates, its thread's news and the help-desk thread's copy of it."""
    return {"event_type": LINE_ORDER_EVENT,
            "event_payload": line_order_payload(request, region)}


def bundle_metadata(view: OffboardingView, region: str,
                    lines: list[LineRequest] | None = None) -> dict[str, Any]:
    """The metadata of a message about a leaver's request: ``lines`` are the lines it tells
    of (default: every line ordered)."""
    told = view.orders if lines is None else lines
    return {"event_type": LINE_ORDER_EVENT, "event_payload": {
        "request_id": view.offboarding.id,
        "state": view.offboarding.state.value,
        "lines": [line_order_payload(line, region) for line in told],
    }}


def line_news_metadata(request: LineRequest, region: str) -> dict[str, Any]:
    """The metadata of one line's news in its thread: a single-line request's own; for a
    line of a leaver's request, the request's shape with only this line in ``lines``. A
    line's news (its placing, its status changes) is told only while its request is
    approved: the request moves on (done) once every line has ended, after their news."""
    if not request.offboarding_id:
        return line_order_metadata(request, region)
    return {"event_type": LINE_ORDER_EVENT, "event_payload": {
        "request_id": request.offboarding_id,
        "state": OffboardingState.APPROVED.value,
        "lines": [line_order_payload(request, region)],
    }}


def status_change_metadata(change: StatusChange, region: str) -> dict[str, Any]:
    """The metadata of the news of one status change: the order as that change left it.
    Several changes seen in one round are told one by one, each with its own status (the
    request as recorded holds only the last), and only the final one completes it."""
    request = change.request
    if change.subject == "order":
        state = request.state
        if state is RequestState.COMPLETED and not change.final:
            state = RequestState.SUBMITTED  # a step before the final one, seen with it
        request = request.model_copy(update={"order_status": change.new_status,
                                             "state": state})
    return line_news_metadata(request, region)


def with_metadata(message: dict[str, Any], metadata: dict[str, Any]) -> dict[str, Any]:
    """``message`` (a rendered message's arguments) carrying ``metadata``."""
    return {**message, "metadata": metadata}
