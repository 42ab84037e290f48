"""Every MobProc shape the public documentation never showed, in one place.

``bot/mobproc/API.md`` marks these **assumed**. A tenant whose MobProc differs corrects it here, and
the client, the simulator and the tests all follow.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import phonenumbers
from pydantic import Field

from bot.mobproc.models import (
    Employee,
    Meta,
    MobProcModel,
    Order,
    OrderSegment,
    OrderSegments,
    ServiceAsset,
)

# GET /assets/services?serviceNumber=<digits>: the filter name is assumed.
SERVICE_NUMBER_FILTER = "serviceNumber"


# serviceNumber is digits only (documented; Tangoe's example is "4045553104"). How a line of
# another country is written is not published. Assumed: a line whose country calling code is
# the tenant's default region's (DEFAULT_REGION) is written as its national significant
# digits ("4045553104" for +1 404-555-3104 in a US tenant); any other line as its country
# calling code followed by its national significant digits ("442079460958" for
# +44 20 7946 0958). So digits alone never say which line: they are only read with this rule,
# and a line is matched by the E.164 number the rule gives (MobProcClient.find_service).


def service_number_digits(e164: str, region: str) -> str:
    """How MobProc writes the line ``e164`` (e.g. "+442079460958") for a ``region`` tenant."""
    number = phonenumbers.parse(e164, None)
    national = phonenumbers.national_significant_number(number)
    if number.country_code == phonenumbers.country_code_for_region(region):
        return national
    return f"{number.country_code}{national}"


def service_number_candidates(e164: str, region: str) -> list[str]:
    """The digit strings to ask MobProc for when looking for the line ``e164``. Whatever
    comes back is accepted only if ``service_number_e164`` reads it as ``e164``."""
    return [service_number_digits(e164, region)]


@lru_cache(maxsize=4096)  # pure, and phonenumbers parses twice per call
def service_number_e164(digits: str, region: str) -> str | None:
    """The E.164 number MobProc's ``serviceNumber`` names in a ``region`` tenant, by the rule
    above; None when it names no number. Read as national digits of the tenant's country
    first, as country code and national digits if that is no valid number; when neither
    reading is a valid number, a possible one is taken in the same order (test and
    fictional ranges)."""
    clean = "".join(ch for ch in digits or "" if ch.isdigit())
    if not clean or len(clean) > 17:  # E.164 allows 15 digits; beyond that it is no number
        return None
    home = phonenumbers.country_code_for_region(region)
    readings: list[phonenumbers.PhoneNumber] = []
    for text, hint in ((clean, region), ("+" + clean, None)):
        try:
            readings.append(phonenumbers.parse(text, hint))
        except phonenumbers.NumberParseException:
            continue
    domestic = [n for n in readings if n.country_code == home]
    foreign = [n for n in readings if n.country_code != home]
    for check in (phonenumbers.is_valid_number, phonenumbers.is_possible_number):
        for number in (*domestic[:1], *foreign[:1]):
            if check(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None
# GET /orders?externalOrderNumber=<n>: the filter is assumed.
EXTERNAL_ORDER_NUMBER_FILTER = "externalOrderNumber"

# GET /orders?eligibleToApproveCompanyEmployeeId=<id> is documented; that it lists only the
# orders waiting for that person's decision (AWAITING_APPROVAL) is assumed.
ELIGIBLE_APPROVER_FILTER = "eligibleToApproveCompanyEmployeeId"
AWAITING_APPROVAL = "AWAITING_APPROVAL"
# POST /orders/{id}/approval: the reason's length limit is not published. Assumed: at most
# 255 characters, and required when rejecting.
APPROVAL_REASON_MAX_LENGTH = 255

# GET /orders?dateTimeUpdated=<ISO 8601>&includeOrderSegments=true&includeOrderHistory=true:
# the parameters are documented; assumed: the filter keeps orders whose ``updated`` is at or
# after the time given, written as below, and the history comes in each segment's
# ``history`` in the shape of GET /orders/{id}/history (see FollowedOrder).
UPDATED_SINCE_FILTER = "dateTimeUpdated"
UPDATED_PAGE_SIZE = 100


def updated_since_value(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Service statuses beyond the documented ACTIVE (SUSPENDED, DEACTIVATED) are shown humanised
# whatever they are; the bot decides only by orderActions, never by status.

# Order statuses: ORDER_SUBMITTED and AWAITING_APPROVAL are documented, the rest assumed.
ORDER_STATUS_FLOW = ("ORDER_SUBMITTED", "IN_PROGRESS", "SHIPPED", "COMPLETE")
FINAL_ORDER_STATUSES = frozenset({"COMPLETE", "CANCELLED", "REJECTED"})


def is_final_status(status: str | None) -> bool:
    return (status or "").upper() in FINAL_ORDER_STATUSES


class ServicesPage(MobProcModel):
    meta: Meta | None = Field(default=None, alias="_meta")
    items: list[ServiceAsset] = Field(default_factory=list)


class ServicesCollection(MobProcModel):
    """``{"services": {"_meta": {...}, "items": [service, ...]}}``."""

    services: ServicesPage


class OrdersPage(MobProcModel):
    meta: Meta | None = Field(default=None, alias="_meta")
    items: list[Order] = Field(default_factory=list)


class OrdersCollection(MobProcModel):
    """``{"orders": {"_meta": {...}, "items": [order, ...]}}``."""

    orders: OrdersPage


class HistoryEntry(MobProcModel):
    status: str
    date: datetime | None = None
    comment: str | None = None


class HistoryPage(MobProcModel):
    items: list[HistoryEntry] = Field(default_factory=list)


class HistoryResponse(MobProcModel):
    """``{"history": {"items": [{"status", "date", "comment"?}]}}``."""

    history: HistoryPage


class OrderApproval(MobProcModel):
    """Assumed: an order that left AWAITING_APPROVAL says who decided, in ``approval``:
    ``{"action": "APPROVE" | "REJECT", "decidedBy": employee, "reason", "date"}``."""

    action: str
    decidedBy: Employee | None = None
    reason: str | None = None
    date: datetime | None = None


def approval_of(order: Order) -> OrderApproval | None:
    """The decision on an order, when MobProc's answer carries one (never fails)."""
    raw = (order.model_extra or {}).get("approval")
    if not isinstance(raw, dict):
        return None
    try:
        return OrderApproval.model_validate(raw)
    except ValueError:
        return None


def order_rejection_messages(body: Any) -> list[str]:
    """Messages from a rejected order (``"status": "ERROR"`` with an unpublished error array).

    Reads ``message`` / ``errorCode`` from whatever objects the body holds.
    """
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            message = node.get("message") or node.get("errorMessage")
            if isinstance(message, str) and message:
                found.append(message)
            elif isinstance(node.get("errorCode"), str):
                found.append(node["errorCode"])
            for key, value in node.items():
                if key not in ("message", "errorCode") and isinstance(value, dict | list):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(body)
    return list(dict.fromkeys(found))


class FollowedSegment(OrderSegment):
    """A segment as ``includeOrderHistory=true`` gives it: with its history (assumed)."""

    history: HistoryPage | None = None


class FollowedSegments(OrderSegments):
    items: list[FollowedSegment] = Field(default_factory=list)  # type: ignore[assignment]


class FollowedOrder(Order):
    orderSegments: FollowedSegments | None = None  # type: ignore[assignment]

    def history(self) -> list[HistoryEntry] | None:
        """The first segment's history, when the collection carried it."""
        segments = self.orderSegments.items if self.orderSegments else []
        if not segments or segments[0].history is None:
            return None
        return segments[0].history.items


class UpdatedOrdersPage(MobProcModel):
    meta: Meta | None = Field(default=None, alias="_meta")
    items: list[FollowedOrder] = Field(default_factory=list)


class UpdatedOrdersCollection(MobProcModel):
    """``GET /orders?dateTimeUpdated=…``: ``{"orders": {"_meta", "items": [order…]}}``."""

    orders: UpdatedOrdersPage


# An order MobProc lists (placed in its portal, or waiting in its approval workflow) carries
# only its properties' values: a CHOICE value is a choice id, with no label, and a field may
# come without its label. Assumed: those ids are the choices GET /orders/properties offers
# for the order's transactionType on its line, the line being the service MobProc writes as
# the order's serviceNumber (orders carry no service id).
def definitions_source(order: Order) -> tuple[str, str] | None:
    """(transactionType, serviceNumber) whose definitions label ``order``'s values; None
    when the order doesn't say."""
    if not order.transactionType or not order.serviceNumber:
        return None
    return order.transactionType, order.serviceNumber
