"""Reads and writes of order requests. State changes are conditional updates, so two
clicks (or two bot processes) can never both move a request out of the same state.

The paths every order takes run as SQLAlchemy Core statements on a connection, not through
an ORM session: under a burst, the session's unit of work, identity map and object loading
were over half of SQLAlchemy's CPU per statement (py-spy on ``bench.burst``). Rows read
here are plain rows, turned into domain objects at once; rarely used reads that hand back
table rows (the audit export, ``/line-status``'s events) keep the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.sql import Executable

from bot.domain import LineRequest, MobProcDecision, OrderForm, RequestState
from bot.mobproc.models import (
    AcknowledgementsResponse,
    OrderConfirmation,
    PropertyGroup,
    PropertyValueGroup,
    ServiceAsset,
    TransactionType,
)
from bot.storage import waiting
from bot.storage.audit import Audit, AuditLog, audit_row, insert_audit
from bot.storage.database import sessionmaker
from bot.storage.outbox_queue import (
    OutboxMessage,
    OutboxQueue,
    QueuedCall,
    drop_unsent,
    queue_calls,
)
from bot.storage.parsed_json import ParsedJSON
from bot.storage.statements import all_rows, changes_rows, first_row
from bot.storage.tables import (
    LineRequestRow,
    StatusEventRow,
    utcnow,
)
from bot.storage.tickets import Tickets
from bot.storage.transactions import in_transaction, reading

LINE_REQUESTS = waiting.LINE_REQUESTS
STATUS_EVENTS: Table = StatusEventRow.__table__  # type: ignore[assignment]
LR = LINE_REQUESTS.c

_REQUEST_BY_ID = select(LINE_REQUESTS).where(LR.id == bindparam("request_id"))


@dataclass(frozen=True)
class SubmissionClaim:
    """A request's submission as one path holds it: its fence's attempt and lease."""

    request: LineRequest
    attempt: int
    lease_until: datetime


class RequestRepository(OutboxQueue, AuditLog, Tickets):
    """Line requests: their reads and conditional moves; the outbox's queue, the audit log and
    help-desk tickets are mixed in from their own modules."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions: async_sessionmaker[Any] = sessionmaker(engine)
        self._parsed = ParsedJSON()
        self._calls: dict[int, QueuedCall] = {}  # the outbox's queue as last read

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    # --- creation and reads -----------------------------------------------------

    async def create_draft(self, *, request_id: str, transaction_type: TransactionType,
                           requester_id: str, requester_name: str | None,
                           requester_email: str | None, origin_channel: str | None,
                           service: ServiceAsset, property_groups: list[PropertyGroup],
                           acknowledgements: AcknowledgementsResponse,
                           external_order_number: str, entered_by: str | None = None,
                           helpdesk_channel: str | None = None,
                           helpdesk_ts: str | None = None,
                           offboarding_id: str | None = None) -> OrderForm:
        row = dict(
            id=request_id,
            transaction_type=transaction_type.value,
            state=RequestState.DRAFT.value,
            requester_id=requester_id,
            requester_name=requester_name,
            requester_email=requester_email,
            origin_channel=origin_channel,
            service_id=service.id,
            service_number=service.serviceNumber,
            service_json=_dump(service),
            form_json={
                "property_groups": [_dump(g) for g in property_groups],
                "acknowledgements": _dump(acknowledgements),
            },
            external_order_number=external_order_number,
            entered_by=entered_by,
            helpdesk_channel=helpdesk_channel,
            helpdesk_ts=helpdesk_ts,
            reminders_sent=0,
            offboarding_id=offboarding_id,
        )
        await in_transaction(self._engine, _create_draft, row, Audit(
            entered_by or requester_id, "requested",
            {"transactionType": transaction_type.value,
             "serviceNumber": service.serviceNumber}))
        # The form as given, kept: parsing back what was just written cost as much as the
        # rest of the command's storage work.
        return self._parsed.keep(OrderForm(
            request_id=request_id, transaction_type=transaction_type, service=service,
            property_groups=property_groups, acknowledgements=acknowledgements))

    def _request(self, row: Any) -> LineRequest:
        return _request(row, self._parsed)

    async def _rows(self, statement: Executable) -> list[Row[Any]]:
        return await reading(self._engine, all_rows, statement)

    async def _row(self, request_id: str) -> Row[Any] | None:
        return await reading(self._engine, first_row, _REQUEST_BY_ID,
                             {"request_id": request_id})

    async def _requests(self, statement: Executable) -> list[LineRequest]:
        return [self._request(r) for r in await self._rows(statement)]

    async def get(self, request_id: str) -> LineRequest | None:
        row = await self._row(request_id)
        return self._request(row) if row else None

    async def get_with_form(self, request_id: str) -> tuple[LineRequest, OrderForm] | None:
        """The request and its form, in one read."""
        row = await self._row(request_id)
        return (self._request(row), self._parsed.form(row)) if row else None


    async def for_user(self, user_id: str, limit: int = 20) -> list[LineRequest]:
        """Single requests only: a leaver's request's lines are listed as one request
        (``OffboardingRepository.for_user``)."""
        return await self._requests(
            select(LINE_REQUESTS)
            .where((LR.requester_id == user_id) | (LR.entered_by == user_id),
                   LR.state != RequestState.DRAFT.value, LR.offboarding_id.is_(None))
            .order_by(LR.created_at.desc()).limit(limit))

    async def recent_decided(self, limit: int = 20) -> list[LineRequest]:
        """The latest decided single requests (a leaver's lines are decided with it, and
        listed as its request: ``OffboardingRepository.recent_decided``)."""
        return await self._requests(
            select(LINE_REQUESTS)
            .where(LR.decided_at.is_not(None), LR.offboarding_id.is_(None))
            .order_by(LR.decided_at.desc()).limit(limit))

    async def for_line(self, service_number: str, limit: int = 5) -> list[LineRequest]:
        return await self._requests(
            select(LINE_REQUESTS)
            .where(LR.service_number == service_number, LR.state != RequestState.DRAFT.value)
            .order_by(LR.created_at.desc()).limit(limit))

    async def open_for_line(self, service_number: str, states: Iterable[RequestState], *,
                            excluding: str, limit: int = 3) -> list[LineRequest]:
        """The line's other requests in ``states``, newest first."""
        return await self._requests(
            select(LINE_REQUESTS)
            .where(LR.service_number == service_number,
                   LR.state.in_([s.value for s in states]), LR.id != excluding)
            .order_by(LR.created_at.desc()).limit(limit))

    async def by_order_id(self, order_id: str) -> LineRequest | None:
        found = await self._requests(select(LINE_REQUESTS).where(LR.order_id == order_id))
        return found[0] if found else None

    async def statuses_seen(self, request_id: str) -> list[StatusEventRow]:
        async with self._sessions() as session:
            rows = await session.scalars(select(StatusEventRow)
                                         .where(StatusEventRow.request_id == request_id)
                                         .order_by(StatusEventRow.id))
            return list(rows)

    async def get_by_message(self, channel: str, ts: str) -> LineRequest | None:
        found = await self._requests(select(LINE_REQUESTS).where(
            LR.approval_channel == channel, LR.approval_ts == ts))
        return found[0] if found else None

    async def get_form(self, request_id: str) -> OrderForm | None:
        row = await self._row(request_id)
        return self._parsed.form(row) if row else None

    async def in_states(self, states: Iterable[RequestState]) -> list[LineRequest]:
        return await self._requests(
            select(LINE_REQUESTS).where(LR.state.in_([s.value for s in states]))
            .order_by(LR.created_at))

    async def waiting_alone(self) -> list[LineRequest]:
        """Requests waiting for approval of their own: a leaver's request's lines wait with
        it (``bot.offboarding``), never for their own expiry, reminders or buttons."""
        return await self._requests(
            select(LINE_REQUESTS)
            .where(LR.state == RequestState.PENDING.value, LR.offboarding_id.is_(None))
            .order_by(LR.created_at))

    # --- state changes ------------------------------------------------------------

    async def transition(self, request_id: str, expected: Iterable[RequestState],
                         new: RequestState, *, audit: Audit | None = None,
                         outbox: list[OutboxMessage] | None = None,
                         outbox_key: str | None = None, unqueue: str | None = None,
                         **values: Any) -> bool:
        """Move the request to ``new`` only if it is in one of ``expected``; True if it moved.

        One conditional UPDATE: the database decides who wins a race. ``audit`` is recorded
        and ``outbox`` queued only by the winner, in the same transaction; so is
        ``unqueue`` (a purpose) taken off the queue: see ``drop_unsent``.
        """
        return await self.move(request_id, expected, new, audit=audit, outbox=outbox,
                               outbox_key=outbox_key, unqueue=unqueue, **values) is not None

    async def move(self, request_id: str, expected: Iterable[RequestState],
                   new: RequestState, *, audit: Audit | None = None,
                   outbox: list[OutboxMessage] | None = None,
                   outbox_key: str | None = None, unqueue: str | None = None,
                   **values: Any) -> LineRequest | None:
        """``transition``, returning the request as it now is when it moved (None when it
        did not): the same conditional UPDATE, with RETURNING instead of a second read, and
        ``outbox`` queued (``unqueue`` dropped) only by the winner, in the same
        transaction."""
        moved = await in_transaction(self._engine, waiting.move, waiting.SINGLE, request_id,
                                     waiting.Move(waiting.states(expected), new.value, values,
                                                  audit, outbox, outbox_key, unqueue=unqueue))
        return None if moved is None else self._request(moved)

    async def _won(self, statement: Executable, request_id: str, audit: Audit | None,
                   outbox_key: str | None, outbox: list[OutboxMessage] | None,
                   unqueue: str | None = None) -> Row[Any] | None:
        """Run a conditional UPDATE … RETURNING; if it changed the row (this caller won),
        record ``audit``, queue ``outbox`` and drop ``unqueue`` in the same transaction. The
        returned row."""
        return await in_transaction(self._engine, _won_then_record, statement, request_id,
                                    audit, outbox_key, outbox, unqueue)


    async def claim(self, request_id: str, state: RequestState, stale_before: datetime) -> bool:
        """Take over a request left in ``state`` since before ``stale_before``; True if ours.

        Touching ``updated_at`` is the lease: a second taker sees it fresh and backs off.
        """
        return await self._changed(
            update(LINE_REQUESTS)
            .where(LR.id == request_id, LR.state == state.value, LR.updated_at < stale_before)
            .values(updated_at=utcnow()))

    async def start_submission(self, request_id: str, lease: timedelta, *,
                               audit: Audit | None = None) -> SubmissionClaim | None:
        """APPROVED → SUBMITTING, taking the submission's first claim; None if another path
        moved it first."""
        now = utcnow()
        row = await in_transaction(self._engine, waiting.move, waiting.SINGLE, request_id,
                                   waiting.Move((RequestState.APPROVED.value,),
                                                RequestState.SUBMITTING.value,
                                                {"submit_attempt": LR.submit_attempt + 1,
                                                 "submit_lease_until": now + lease},
                                                audit))
        return None if row is None else \
            SubmissionClaim(self._request(row), row.submit_attempt, row.submit_lease_until)

    async def take_over_submission(self, request_id: str, lease: timedelta
                                   ) -> SubmissionClaim | None:
        """Take a SUBMITTING request whose claim has lapsed (one from before claims: untouched
        for a lease), raising its attempt so the earlier holder's send can't leave."""
        now = utcnow()
        lapsed = (LR.submit_lease_until < now) | \
            (LR.submit_lease_until.is_(None) & (LR.updated_at < now - lease))
        row = await in_transaction(self._engine, first_row, (
            update(LINE_REQUESTS)
            .where(LR.id == request_id, LR.state == RequestState.SUBMITTING.value, lapsed)
            .values(submit_attempt=LR.submit_attempt + 1, submit_lease_until=now + lease,
                    updated_at=now)
            .returning(LINE_REQUESTS)), {})
        return None if row is None else \
            SubmissionClaim(self._request(row), row.submit_attempt, row.submit_lease_until)

    async def holds_submission(self, request_id: str, attempt: int) -> bool:
        """Whether ``attempt`` is still the submission's claim, with nothing recorded yet."""
        row = await reading(self._engine, first_row, select(LR.id).where(
            LR.id == request_id, LR.state == RequestState.SUBMITTING.value,
            LR.submit_attempt == attempt), {})
        return row is not None

    async def extend_submission(self, request_id: str, attempt: int, seconds: float) -> bool:
        """Push the submission's lease to ``seconds`` from now while ``attempt`` holds it
        and it has not lapsed; True if it did."""
        now = utcnow()
        return await self._changed(
            update(LINE_REQUESTS)
            .where(LR.id == request_id, LR.state == RequestState.SUBMITTING.value,
                   LR.submit_attempt == attempt, LR.submit_lease_until > now)
            .values(submit_lease_until=now + timedelta(seconds=seconds)))

    async def enqueue_while(self, request_id: str, states: Iterable[RequestState],
                            messages: list[OutboxMessage], *, outbox_key: str | None = None
                            ) -> bool:
        """Queue ``messages`` only while the request is in one of ``states`` and has no
        order recorded (``waiting.queue_while``)."""
        return await in_transaction(self._engine, waiting.queue_while, waiting.SINGLE,
                                    request_id, waiting.states(states), messages, outbox_key,
                                    LR.order_id.is_(None))

    async def set_message_if_unset(self, request_id: str, channel: str, ts: str) -> bool:
        return await in_transaction(self._engine, waiting.record_message, waiting.SINGLE,
                                    request_id, channel, ts) is not None

    async def _changed(self, statement: Executable,
                       parameters: dict[str, Any] | None = None) -> bool:
        """One statement in its own transaction; True if it changed a row."""
        return await in_transaction(self._engine, changes_rows, statement, parameters)

    async def note_unconfirmed(self, request_id: str, message: str, *,
                               outbox: list[OutboxMessage] | None = None,
                               outbox_key: str | None = None) -> bool:
        """Record, once, why a submission whose answer was lost can't be checked; True only
        for the caller that recorded it, which alone queues ``outbox`` (in the same
        transaction), so people are told once."""
        return await self._won(
            update(LINE_REQUESTS)
            .where(LR.id == request_id, LR.state == RequestState.SUBMITTING.value,
                   LR.error.is_(None))
            .values(error=message, updated_at=utcnow()).returning(LR.id),
            request_id, Audit("mobproc", "error", {
                "step": "lookup by externalOrderNumber", "message": message}),
            outbox_key, outbox) is not None

    async def note_mobproc_decision(self, request_id: str, decision: MobProcDecision) -> None:
        """Record who decided in MobProc's own workflow; what MobProc says wins over what
        the bot knew from a click in Slack, and neither is overwritten by less."""
        async with self._sessions.begin() as session:
            row = await session.get(LineRequestRow, request_id)
            if row is None:
                return
            known = dict(row.mobproc_decision_json or {})
            merged = {**known, **decision.model_dump(exclude_none=True)}
            if merged != known:
                row.mobproc_decision_json = merged

    async def update_fields(self, request_id: str, **values: Any) -> None:
        await self._changed(update(LINE_REQUESTS).where(LR.id == request_id)
                            .values(updated_at=utcnow(), **values))

    async def save_confirmation(self, request_id: str, *,
                                properties: list[PropertyValueGroup], acknowledged: list[str],
                                confirmation: OrderConfirmation, actor: str
                                ) -> LineRequest | None:
        """DRAFT → PENDING with MobProc's confirmation; the request as it now is, or None
        when it was not a draft any more (another submission confirmed it)."""
        return await self.move(
            request_id, [RequestState.DRAFT], RequestState.PENDING,
            audit=Audit(actor, "confirmed",
                        {"externalOrderNumber": confirmation.externalOrderNumber}),
            properties_json=[_dump(g) for g in properties],
            acknowledged_json=list(acknowledged),
            confirmation_json=_dump(confirmation),
        )

    async def record_statuses(self, request_id: str, *, order_status: str,
                              segment_statuses: dict[str, str],
                              events: list[tuple[str, str | None, str, str | None]],
                              final: bool) -> list[int]:
        """Store the newest statuses and one event per change; returns the event ids."""
        async with self._sessions.begin() as session:
            rows = [StatusEventRow(request_id=request_id, subject=subject, old_status=old,
                                   new_status=new, vendor=vendor)
                    for subject, old, new, vendor in events]
            session.add_all(rows)
            session.add_all(audit_row(request_id, Audit("mobproc", "status_change", {
                "subject": subject, "from": old, "to": new})) for subject, old, new, _ in events)
            values: dict[str, Any] = {
                "order_status": order_status,
                "segment_statuses_json": segment_statuses,
                "updated_at": utcnow(),
            }
            if final:
                values["state"] = RequestState.COMPLETED.value
            await session.execute(
                update(LineRequestRow).where(LineRequestRow.id == request_id).values(**values)
            )
            await session.flush()
            return [r.id for r in rows]


    async def approval_posted(self, call_id: int, request_id: str, channel: str, ts: str,
                              permalink: str | None = None,
                              follow: Callable[[LineRequest], list[OutboxMessage]] | None = None
                              ) -> None:
        """The approval call went out: it leaves the queue, the request records its message
        (and its ``permalink``), and what ``follow`` renders from the request as recorded
        (the requester's link, the help-desk note) is queued, all in one transaction. Only
        the sender that takes the call off the queue records it, so what follows is queued
        once. A message already adopted (a click that came first) is kept."""
        def record(conn: Connection) -> None:
            row = waiting.approval_posted(conn, waiting.SINGLE, call_id, request_id, channel,
                                          ts, permalink)
            if follow is not None and row is not None:
                request = self._request(row)
                queue_calls(conn, request.outbox_key, follow(request))

        await in_transaction(self._engine, record)

    async def approval_refused(self, call_id: int, request_id: str, error: str,
                               follow: Callable[[LineRequest, str], list[OutboxMessage]]
                               | None = None) -> bool:
        """Slack refused the approval message for good: the call leaves the queue and the
        pending request is cancelled, with what ``follow`` renders (telling the requester)
        queued, in one transaction; True if it was cancelled here."""
        def record(conn: Connection) -> bool:
            row = waiting.approval_refused(conn, waiting.SINGLE, call_id, request_id, error)
            if row is None:
                return False
            if follow is not None:
                request = self._request(row)
                queue_calls(conn, request.outbox_key, follow(request, error))
            return True

        return await in_transaction(self._engine, record)

    async def pending_without_approval_post(self, purpose: str, stale_before: datetime
                                            ) -> list[LineRequest]:
        """Pending requests with no approval message and none queued, untouched since
        ``stale_before``: left by a crash, or by a version that posted it directly."""
        return await self._requests(
            waiting.without_approval_post(waiting.SINGLE, purpose, stale_before))


    async def unposted_events(self) -> list[tuple[int, LineRequest, StatusEventRow]]:
        async with self._sessions() as session:
            rows = (await session.execute(
                select(StatusEventRow, LineRequestRow)
                .join(LineRequestRow, StatusEventRow.request_id == LineRequestRow.id)
                .where(StatusEventRow.posted_at.is_(None))
                .order_by(StatusEventRow.id)
            )).all()
            return [(event.id, self._request(req), event) for event, req in rows]


def _won_then_record(conn: Connection, statement: Executable, request_id: str,
                     audit: Audit | None, outbox_key: str | None,
                     outbox: list[OutboxMessage] | None,
                     unqueue: str | None = None) -> Row[Any] | None:
    row = conn.execute(statement).first()
    if row is not None:
        waiting.record_change(conn, request_id, audit, outbox_key, outbox)
        if unqueue is not None:
            drop_unsent(conn, request_id, unqueue)
    return row


def _create_draft(conn: Connection, row: dict[str, Any], audit: Audit) -> None:
    conn.execute(insert(LINE_REQUESTS), row)
    insert_audit(conn, row["id"], audit)


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _request(row: Any, parsed: ParsedJSON | None = None) -> LineRequest:
    """The row (a table row, or an ORM ``LineRequestRow``) as a domain object; pass the
    repository's ``parsed`` (``self._request``) to reuse what was parsed before."""
    parsed = parsed or ParsedJSON(size=1)
    form = parsed.form(row)
    properties, confirmation = parsed.confirmed(row)
    # Built, not validated: every value below is already of its field's type (read through
    # the table's column types, or parsed models), and a request is built on every read.
    return LineRequest.model_construct(
        id=row.id,
        transaction_type=form.transaction_type,
        state=RequestState(row.state),
        requester_id=row.requester_id,
        requester_name=row.requester_name,
        requester_email=row.requester_email,
        origin_channel=row.origin_channel,
        service=form.service,
        external_order_number=row.external_order_number,
        definitions=[f for g in form.property_groups for f in g.fields],
        properties=list(properties),
        acknowledged=list(row.acknowledged_json or []),
        confirmation=confirmation,
        approval_channel=row.approval_channel,
        approval_ts=row.approval_ts,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        order_id=row.order_id,
        order_status=row.order_status,
        segment_statuses=dict(row.segment_statuses_json or {}),
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        entered_by=row.entered_by,
        helpdesk_channel=row.helpdesk_channel,
        helpdesk_ts=row.helpdesk_ts,
        approval_permalink=row.approval_permalink,
        reminders_sent=row.reminders_sent or 0,
        status_version=row.status_version or 0,
        mobproc_decision=(MobProcDecision.model_validate(row.mobproc_decision_json)
                          if row.mobproc_decision_json else None),
        offboarding_id=row.offboarding_id,
        workflow_execution_id=row.workflow_execution_id,
    )


def request_from_row(row: LineRequestRow) -> LineRequest:
    return _request(row)


__all__ = ["RequestRepository", "request_from_row"]
