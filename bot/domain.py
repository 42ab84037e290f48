"""Domain objects passed from the core to ``blocks/`` and ``handlers/``.

They hold what a person needs to see; MobProc's own models are kept inside them as-is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from bot.mobproc.models import (
    AcknowledgementsResponse,
    Order,
    OrderConfirmation,
    PropertyDefinition,
    PropertyGroup,
    PropertyValueGroup,
    ServiceAsset,
    TransactionType,
)


@dataclass(frozen=True)
class OrderKind:
    """How one transaction type shows up in Slack."""

    transaction_type: TransactionType
    command: str  # slash command
    title: str  # modal title, at most 24 characters
    noun: str  # "suspension"
    verb: str  # "suspend"
    past: str  # "suspended"


ORDER_KINDS: dict[TransactionType, OrderKind] = {
    TransactionType.SUSPEND: OrderKind(
        TransactionType.SUSPEND, "/suspend-line", "Suspend a line", "suspension", "suspend",
        "suspended",
    ),
    TransactionType.UNSUSPEND: OrderKind(
        TransactionType.UNSUSPEND, "/unsuspend-line", "Unsuspend a line", "reactivation",
        "unsuspend", "unsuspended",
    ),
    TransactionType.DEACTIVATE: OrderKind(
        TransactionType.DEACTIVATE, "/deactivate-line", "Deactivate a line", "deactivation",
        "deactivate", "deactivated",
    ),
    TransactionType.XFER_SERVICE_OUT: OrderKind(
        TransactionType.XFER_SERVICE_OUT, "/transfer-line", "Transfer a line", "transfer",
        "transfer to personal", "transferred to personal",
    ),
}


def kind_of(transaction_type: str) -> OrderKind:
    return ORDER_KINDS[TransactionType(transaction_type)]


class RequestState(StrEnum):
    DRAFT = "draft"  # form shown, not yet confirmed by MobProc
    PENDING = "pending"  # confirmed, waiting for an approver
    APPROVED = "approved"  # decided; about to be submitted
    SUBMITTING = "submitting"  # POST /orders sent, answer not yet recorded
    SUBMITTED = "submitted"  # MobProc has the order; being followed
    COMPLETED = "completed"  # order reached a final status
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # nobody decided within APPROVAL_TTL_HOURS
    FAILED = "failed"  # MobProc refused the submission


class DomainModel(BaseModel):
    model_config = ConfigDict(frozen=False)


class OrderForm(DomainModel):
    """Everything the order modal shows: the line and what MobProc wants for this order."""

    request_id: str
    transaction_type: TransactionType
    service: ServiceAsset
    property_groups: list[PropertyGroup] = Field(default_factory=list)
    acknowledgements: AcknowledgementsResponse = Field(default_factory=AcknowledgementsResponse)


class FieldInput(DomainModel):
    """What a person entered for one property, as read from the modal (before validation)."""

    text: str | None = None  # TEXT, and the "other" text of a CHOICE
    date: str | None = None  # YYYY-MM-DD from the date picker
    choice_id: str | None = None


class FormInput(DomainModel):
    """Everything entered in the order modal, keyed by property id."""

    fields: dict[str, FieldInput] = Field(default_factory=dict)
    acknowledged: list[str] = Field(default_factory=list)


class LineRequest(DomainModel):
    """A stored order request, as the approval message and status replies show it."""

    id: str
    transaction_type: TransactionType
    state: RequestState
    requester_id: str
    requester_name: str | None = None
    requester_email: str | None = None
    origin_channel: str | None = None
    service: ServiceAsset
    external_order_number: str
    # What MobProc asked for (labels, choice labels) and what was entered.
    definitions: list[PropertyDefinition] = Field(default_factory=list)
    properties: list[PropertyValueGroup] = Field(default_factory=list)
    acknowledged: list[str] = Field(default_factory=list)
    confirmation: OrderConfirmation | None = None
    approval_channel: str | None = None
    approval_ts: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    order_id: str | None = None
    order_status: str | None = None
    segment_statuses: dict[str, str] = Field(default_factory=dict)  # segment id → status
    error: str | None = None
    created_at: datetime
    updated_at: datetime | None = None
    entered_by: str | None = None
    helpdesk_channel: str | None = None
    helpdesk_ts: str | None = None
    approval_permalink: str | None = None
    reminders_sent: int = 0
    status_version: int = 0  # see LineRequestRow.status_version
    mobproc_decision: MobProcDecision | None = None
    offboarding_id: str | None = None  # part of an /offboard-lines request
    # Who has approved it so far, in order, and how many approvers it needs
    # (APPROVALS_REQUIRED): not columns of the request (the approvals table holds each
    # approval), filled in by the core where a message shows them.
    approved_by: tuple[str, ...] = ()
    approvals_required: int = 1
    # The Workflow Builder step run it answers, if any (its completion goes with its end).
    workflow_execution_id: str | None = None

    @property
    def outbox_key(self) -> str:
        """Slack calls about this order go out in order with others sharing this key: a
        leaver's lines share one thread, so they share their request's key."""
        return self.offboarding_id or self.id

    @property
    def enterer(self) -> str:
        """Who filled in the form: a help-desk agent, or the requester themselves."""
        return self.entered_by or self.requester_id

    @property
    def kind(self) -> OrderKind:
        return ORDER_KINDS[self.transaction_type]


class StatusChange(DomainModel):
    """One change of an order's or a segment's status, seen by the follower."""

    request: LineRequest
    subject: str  # "order" or "segment <id>"
    old_status: str | None
    new_status: str
    vendor: str | None = None
    final: bool = False
    seen_at: datetime


def humanize_status(status: str | None) -> str:
    """``IN_PROGRESS`` → ``In progress``; unknown values are shown as they come, readable."""
    if not status:
        return "Unknown"
    words = status.replace("_", " ").replace("-", " ").strip().lower()
    return words[:1].upper() + words[1:] if words else status


class HelpdeskTicket(DomainModel):
    """A help-desk message naming a line, as the bot understood it."""

    id: str
    channel: str
    message_ts: str
    poster_id: str
    text: str
    service_number: str


class MobProcDecision(DomainModel):
    """Who decided an order that waited in MobProc's own approval workflow."""

    action: str  # APPROVE | REJECT
    by_name: str | None = None  # as MobProc names the decider
    by_slack_user: str | None = None  # when the decision was made from Slack
    reason: str | None = None


class ApprovalState(StrEnum):
    WAITING = "waiting"  # the order waits for this approver; Approve/Reject offered
    SENDING = "sending"  # a click won: the answer is being sent to MobProc
    ANSWERED = "answered"  # MobProc answered (``answer`` says what)
    UNKNOWN = "unknown"  # sent, but MobProc's answer was lost: never sent again blind
    GONE = "gone"  # no longer waiting for this approver (decided elsewhere)


class MobProcApproval(DomainModel):
    """One order waiting in MobProc for one Slack user's decision, and what became of it."""

    id: str
    order_id: str
    approver_id: str  # Slack user
    employee_id: str  # their company employee id in MobProc
    state: ApprovalState
    order: Order
    # MobProc's definitions of the order's fields (labels, the chosen choice's label), read
    # when it was found; empty when MobProc couldn't say: its ids are shown.
    definitions: list[PropertyDefinition] = Field(default_factory=list)
    action: str | None = None
    reason: str | None = None
    answer: str | None = None  # MobProc's status, e.g. APPROVAL_QUEUED
    message: str | None = None  # MobProc's refusal, shown as it came
    decided_at: datetime | None = None
    dm_channel: str | None = None
    dm_ts: str | None = None
    created_at: datetime


LineRequest.model_rebuild()  # it names MobProcDecision, defined after it
