"""Domain objects of /offboard-lines: a leaver's lines, the choice for each, one approval."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from bot.approval.warnings import ApprovalWarning
from bot.domain import ORDER_KINDS, DomainModel, LineRequest, OrderForm, OrderKind, RequestState
from bot.mobproc.models import (
    AcknowledgementsResponse,
    PropertyDefinition,
    ServiceAsset,
    TransactionType,
)

LEAVE_AS_IS = "LEAVE"  # the choice that orders nothing for a line


# A line's order has ended (the request is done once every line's has).
LINE_DONE = frozenset({RequestState.COMPLETED, RequestState.FAILED, RequestState.CANCELLED,
                       RequestState.EXPIRED})


class OffboardingState(StrEnum):
    CHOOSING = "choosing"  # lines listed; an order (or none) is being chosen for each
    PREPARING = "preparing"  # fetching what MobProc wants for the chosen orders
    DETAILS = "details"  # the orders' properties are being filled in
    PENDING = "pending"  # every chosen line confirmed by MobProc; waiting for an approver
    APPROVED = "approved"  # each line's order is being placed and followed
    DONE = "done"  # every line's order reached its end; the summary was posted
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # nobody decided within APPROVAL_TTL_HOURS


class Offboarding(DomainModel):
    id: str
    state: OffboardingState
    requester_id: str  # the help-desk agent who ran the command
    requester_name: str | None = None
    requester_email: str | None = None
    employee_ref: str  # the company employee id MobProc was asked about
    employee_name: str | None = None
    origin_channel: str | None = None
    lines: list[ServiceAsset] = Field(default_factory=list)
    choices: dict[str, str] = Field(default_factory=dict)  # service id → type or LEAVE_AS_IS
    approval_channel: str | None = None
    approval_ts: str | None = None
    approval_permalink: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    created_at: datetime
    updated_at: datetime | None = None
    reminders_sent: int = 0  # reminders to the approvers so far
    # The Workflow Builder step run it answers, if any.
    workflow_execution_id: str | None = None

    @property
    def enterer(self) -> str:
        """Who filled in the form: the one who ran the command (as for a single request)."""
        return self.requester_id

    def chosen(self) -> list[tuple[ServiceAsset, OrderKind]]:
        """The lines an order was chosen for, in MobProc's order, with the order's kind."""
        picked: list[tuple[ServiceAsset, OrderKind]] = []
        for line in self.lines:
            choice = self.choices.get(line.id, LEAVE_AS_IS)
            if choice in TransactionType.__members__:
                picked.append((line, ORDER_KINDS[TransactionType(choice)]))
        return picked


class OffboardingView(DomainModel):
    """A request with its lines' orders, as the approval message and the thread show it."""

    offboarding: Offboarding
    orders: list[LineRequest] = Field(default_factory=list)
    # As for a line request (``LineRequest.approved_by``): read from the approvals table.
    approved_by: tuple[str, ...] = ()
    approvals_required: int = 1
    # What the approver should check first, per line (line request id → its warnings), as
    # for a single request: computed before the move to pending, shown in its message.
    warnings: dict[str, list[ApprovalWarning]] = Field(default_factory=dict)


class BundleField(DomainModel):
    """One input of the details modal: a property asked once for every order it applies to.

    ``key`` is its block_id; ``definition`` is MobProc's definition as shown (its id is the
    key, its label says which orders it is for when not all)."""

    key: str
    definition: PropertyDefinition
    request_ids: list[str] = Field(default_factory=list)


class BundleForm(DomainModel):
    """The details modal: the chosen orders and the fields they need, shared where alike."""

    offboarding_id: str
    forms: list[OrderForm] = Field(default_factory=list)
    fields: list[BundleField] = Field(default_factory=list)
    acknowledgements: AcknowledgementsResponse = Field(default_factory=AcknowledgementsResponse)
