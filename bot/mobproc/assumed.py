"""Every MobProc shape the public documentation never showed, in one place.

``bot/mobproc/API.md`` marks these **assumed**. A tenant whose MobProc differs corrects it here, and
the client, the simulator and the tests all follow.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

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
