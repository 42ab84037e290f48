"""SQLAlchemy tables: every order request and every status seen, so a restart loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """SQLite forgets time zones; store UTC and give back aware datetimes."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class LineRequestRow(Base):
    __tablename__ = "line_requests"
    __table_args__ = (Index("ix_line_requests_approval_message", "approval_channel",
                            "approval_ts"),
                      # Lets the metrics' count by type and state read the index alone.
                      Index("ix_line_requests_type_state", "transaction_type", "state"),
                      Index("ix_line_requests_follow", "state", "next_check_at"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    transaction_type: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True)
    requester_id: Mapped[str] = mapped_column(String(32), index=True)
    requester_name: Mapped[str | None] = mapped_column(String(255))
    requester_email: Mapped[str | None] = mapped_column(String(320))
    origin_channel: Mapped[str | None] = mapped_column(String(32))
    service_id: Mapped[str] = mapped_column(String(64))
    service_number: Mapped[str] = mapped_column(String(32), index=True)
    service_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    # MobProc's property definitions and acknowledgements, so the form survives a restart.
    form_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    properties_json: Mapped[list[Any] | None] = mapped_column(JSON)
    acknowledged_json: Mapped[list[Any] | None] = mapped_column(JSON)
    confirmation_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    external_order_number: Mapped[str] = mapped_column(String(64), unique=True)
    approval_channel: Mapped[str | None] = mapped_column(String(32))
    approval_ts: Mapped[str | None] = mapped_column(String(32))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    order_status: Mapped[str | None] = mapped_column(String(64))
    segment_statuses_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Who typed the order in (a help-desk agent), when not the person it is for.
    entered_by: Mapped[str | None] = mapped_column(String(32))
    helpdesk_channel: Mapped[str | None] = mapped_column(String(32))
    helpdesk_ts: Mapped[str | None] = mapped_column(String(32))
    approval_permalink: Mapped[str | None] = mapped_column(String(500))
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    # Who decided, when the order waited in MobProc's own approval workflow.
    mobproc_decision_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The /offboard-lines request this line's order belongs to, if any.
    offboarding_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # Bumped by every status write: a replica records a change only if nobody did since it
    # read the request, so two replicas never report the same change.
    status_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Row lease of the per-order fallback: not read again (by any replica) before this.
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The submission's fenced claim (bot/effects/fence.py): raised by every path that takes
    # it, and checked right before the order is sent; nobody takes it over before the lease.
    submit_attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    submit_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The Workflow Builder step run this request answers (workflow_executions), if any: its
    # completion is queued with the move that ends the request.
    workflow_execution_id: Mapped[str | None] = mapped_column(String(64))


class StatusEventRow(Base):
    """Each status the follower saw, once; ``posted_at`` is set when the thread reply went out."""

    __tablename__ = "status_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("line_requests.id"), index=True)
    subject: Mapped[str] = mapped_column(String(64))
    old_status: Mapped[str | None] = mapped_column(String(64))
    new_status: Mapped[str] = mapped_column(String(64))
    vendor: Mapped[str | None] = mapped_column(String(255))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEventRow(Base):
    """Append-only: rows are only ever inserted (the migration makes the database refuse
    updates and deletes)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    request_id: Mapped[str | None] = mapped_column(String(36), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OutboxRow(Base):
    """A Slack call (thread reply, message update) waiting to be made, in order."""

    __tablename__ = "outbox"
    __table_args__ = (Index("uq_outbox_request_purpose", "request_id", "purpose", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(String(36), index=True)
    method: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set for a call that must exist at most once per request (the approval message).
    purpose: Mapped[str | None] = mapped_column(String(32))


class HelpdeskTicketRow(Base):
    """A help-desk message the bot answered; its buttons name the ticket, not the data."""

    __tablename__ = "helpdesk_tickets"
    __table_args__ = (UniqueConstraint("channel", "message_ts",
                                       name="uq_helpdesk_ticket_message"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    message_ts: Mapped[str] = mapped_column(String(32))
    poster_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    service_number: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HomeVisitorRow(Base):
    """Someone who opened the bot's App Home at least once: only their Home is kept fresh."""

    __tablename__ = "home_visitors"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MobProcApprovalRow(Base):
    """An order waiting in MobProc for one Slack user's decision: one row, one DM, one answer.

    The unique (order, approver) pair makes the DM go out once however many lookups find it;
    the state changes are conditional updates, so one click sends the answer."""

    __tablename__ = "mobproc_approvals"
    __table_args__ = (UniqueConstraint("order_id", "approver_id",
                                       name="uq_mobproc_approval_order_approver"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64))
    approver_id: Mapped[str] = mapped_column(String(32), index=True)
    employee_id: Mapped[str] = mapped_column(String(320))
    state: Mapped[str] = mapped_column(String(16), index=True)
    order_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    # MobProc's definitions of the order's fields, so every process shows the same labels.
    definitions_json: Mapped[list[Any] | None] = mapped_column(JSON)
    action: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str | None] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dm_channel: Mapped[str | None] = mapped_column(String(32))
    dm_ts: Mapped[str | None] = mapped_column(String(32))
    # When the current attempt to send the answer was claimed, and its number: the answer's
    # fence (``bot.effects.fence``). The DM itself is the outbox's (queued with the row).
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempt: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class OffboardingRow(Base):
    """One /offboard-lines request: a leaver's lines, the choices made, one approval."""

    __tablename__ = "offboardings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    requester_id: Mapped[str] = mapped_column(String(32))
    requester_name: Mapped[str | None] = mapped_column(String(255))
    requester_email: Mapped[str | None] = mapped_column(String(320))
    employee_ref: Mapped[str] = mapped_column(String(320))
    employee_name: Mapped[str | None] = mapped_column(String(255))
    origin_channel: Mapped[str | None] = mapped_column(String(32))
    # The lines as MobProc listed them, and the order chosen for each (service id → type).
    lines_json: Mapped[list[Any]] = mapped_column(JSON)
    choices_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    approval_channel: Mapped[str | None] = mapped_column(String(32))
    approval_ts: Mapped[str | None] = mapped_column(String(32))
    approval_permalink: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # Reminders to the approvers so far (as a line request's ``reminders_sent``).
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    # The Workflow Builder step run this request answers, if any (as a line request's).
    workflow_execution_id: Mapped[str | None] = mapped_column(String(64))


class WorkflowExecutionRow(Base):
    """One run of one of the app's Workflow Builder steps (a ``function_executed`` event),
    recorded once: Slack may deliver the event again, and the primary key makes a second
    delivery, on any replica, change nothing. Linked to the one request (or /offboard-lines
    request) filled in for it; whichever move ends that request queues the step's
    completion with it."""

    __tablename__ = "workflow_executions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # function_execution_id
    callback_id: Mapped[str] = mapped_column(String(64))
    inputs_json: Mapped[dict[str, Any]] = mapped_column(JSON)
    requester_id: Mapped[str | None] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    offboarding_id: Mapped[str | None] = mapped_column(String(36), unique=True)
    # Why the step failed at once (a bad input), if it did.
    refusal: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ApprovalRow(Base):
    """One approver's approval of a request waiting for several (``APPROVALS_REQUIRED``): a
    line request or a leaver's request (``subject_id``). Unique per subject and approver,
    so nobody counts twice; recorded in the transaction that counts them and, at the last
    one, moves the request on."""

    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("subject_id", "approver_id",
                                       name="uq_approval_subject_approver"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The unique pair's index serves the reads by subject too.
    subject_id: Mapped[str] = mapped_column(String(36))
    approver_id: Mapped[str] = mapped_column(String(32))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FollowerCursorRow(Base):
    """Where the incremental follower got to in MobProc's updates (MobProc's clock), and until
    when one replica holds this interval's query (the bots' clock)."""

    __tablename__ = "follower_cursor"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    updated_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
