"""The order flow: find the line, build the form, confirm, decide (submission itself is
in ``bot.orders.submission``).

Handlers call this; it talks to MobProc and storage and returns domain objects.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.approval.approvers import ApprovalPolicy, ApproverDirectory
from bot.approval.approving import Approving
from bot.approval.guards import (
    CANCEL_NOT_ALLOWED,
    DecisionGuards,
    already_decided,
)
from bot.approval.schedule import ApprovalSchedule
from bot.approval.warnings import ApprovalWarning, approval_warnings
from bot.domain import (
    FormInput,
    LineRequest,
    OrderForm,
    OrderKind,
    RequestState,
    humanize_status,
    kind_of,
)
from bot.effects.outbox import APPROVAL
from bot.mobproc.client import MobProcClient
from bot.mobproc.errors import (
    MobProcError,
    MobProcNotFound,
    MobProcUnavailable,
)
from bot.mobproc.models import (
    AcknowledgementsResponse,
    TransactionType,
)
from bot.ops.log_context import bind
from bot.ops.metrics import BotMetrics
from bot.orders.form import FormErrors, read_form
from bot.orders.submission import Render, Submission, order_request
from bot.phone import NumberNotFound, ServiceNumber, format_service_number, parse_service_number
from bot.storage.approvals import (
    ApprovalProgress,
    ApprovalStep,
    ApprovalStore,
    Counted,
    Reminder,
)
from bot.storage.audit import Audit
from bot.storage.outbox_queue import OutboxMessage
from bot.storage.requests import LINE_REQUESTS, RequestRepository

log = logging.getLogger(__name__)

UNAVAILABLE = ("MobProc isn't answering right now, so nothing was ordered. "
               "Please try again in a few minutes.")
# A line of a leaver's request (/offboard-lines) is confirmed, approved and cancelled only
# with the whole request: never as an order of its own (a crafted form or button).
BUNDLE_LINE = ("This line is part of an /offboard-lines request: it is sent, approved and "
               "cancelled only with that whole request, on its own approval message.")
NEVER_SENT = ("It was never sent for approval, so there is nothing to cancel: close its "
              "form instead.")


# What an approval that leaves more to come tells: rendered from the request as it now
# stands and the warnings its redrawn approval message must still show.
ProgressRender = Callable[[LineRequest, list[ApprovalWarning]], list[OutboxMessage]]


class OrderRefused(Exception):
    """The request can't go on; ``message`` tells the person why, plainly."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Requester:
    user_id: str
    name: str | None
    email: str | None


@dataclass
class ConfirmResult:
    request: LineRequest | None = None
    errors: FormErrors | None = None
    refusal: str | None = None  # MobProc refused or could not answer; shown in the modal
    # True only for the one submission that moved the request to pending: it alone posts
    # the approval message, however often the form was submitted.
    confirmed_now: bool = False


class DecisionOutcome(StrEnum):
    DONE = "done"
    NOT_FOUND = "not_found"
    NOT_ALLOWED = "not_allowed"
    ALREADY_DECIDED = "already_decided"


@dataclass
class Decision:
    outcome: DecisionOutcome
    request: LineRequest | None = None
    reason: str | None = None
    # Set for an approval counted while more are needed (the request still waits).
    progress: ApprovalProgress | None = None


def _now() -> datetime:
    return datetime.now(UTC)


class OrderService:
    def __init__(self, mobproc: MobProcClient, repo: RequestRepository,
                 approvers: ApproverDirectory, *, region: str = "US",
                 allow_self_approval: bool = False,
                 approval_ttl_hours: float = 72.0, reminder_hours: float = 24.0,
                 clock: Callable[[], datetime] = _now,
                 metrics: BotMetrics | None = None,
                 policy: ApprovalPolicy | None = None) -> None:
        self.metrics = metrics
        self.policy = policy or ApprovalPolicy()
        self.approvals = ApprovalStore(repo.engine)
        self.mobproc = mobproc
        self.repo = repo
        self.approvers = approvers
        # Who may decide: the same rules for a leaver's request (``bot.offboarding``).
        self.guards = DecisionGuards(approvers, allow_self_approval=allow_self_approval)
        self.approving = Approving(self.guards, self.approvals, repo)
        self.region = region
        self.submission = Submission(mobproc, repo)
        # A leaver's request keeps the same schedule (``bot.offboarding``).
        self.schedule = ApprovalSchedule(ttl=timedelta(hours=approval_ttl_hours),
                                         reminder_interval=timedelta(hours=reminder_hours))
        self.clock = clock

    # --- starting an order ------------------------------------------------------

    def parse_number(self, text: str) -> ServiceNumber:
        try:
            return parse_service_number(text, self.region)
        except NumberNotFound as exc:
            raise OrderRefused(str(exc)) from None

    async def open_form(self, kind: OrderKind, number: ServiceNumber, requester: Requester,
                        origin_channel: str | None, *, entered_by: str | None = None,
                        helpdesk: tuple[str, str] | None = None) -> OrderForm:
        """Find the line, check the order is allowed on it, and fetch what MobProc wants."""
        tt = kind.transaction_type
        try:
            service = await self.mobproc.find_service(number)
            if service is None:
                raise OrderRefused(no_line_message(number))
            if tt.value not in service.orderActions:
                raise OrderRefused(self._not_allowed_message(kind, number.display,
                                                             service.status,
                                                             service.orderActions))
            groups = await self.mobproc.get_properties(tt.value, service.id)
            acks = AcknowledgementsResponse()
            vendor_id = service.vendor_id
            if tt is TransactionType.XFER_SERVICE_OUT and vendor_id:
                acks = await self.mobproc.get_acknowledgements(tt.value, vendor_id)
        except MobProcUnavailable:
            raise OrderRefused(UNAVAILABLE) from None
        except MobProcNotFound:
            raise OrderRefused(no_line_message(number)) from None
        except MobProcError as exc:
            raise OrderRefused(f"MobProc couldn't prepare this order: {exc.message}") from None
        request_id = uuid.uuid4().hex
        bind(request_id=request_id)
        return await self.repo.create_draft(
            request_id=request_id, transaction_type=tt, requester_id=requester.user_id,
            requester_name=requester.name, requester_email=requester.email,
            origin_channel=origin_channel, service=service, property_groups=groups,
            acknowledgements=acks, external_order_number=_external_number(),
            entered_by=entered_by if entered_by != requester.user_id else None,
            helpdesk_channel=helpdesk[0] if helpdesk else None,
            helpdesk_ts=helpdesk[1] if helpdesk else None,
        )

    def _not_allowed_message(self, kind: OrderKind, display: str, status: str | None,
                             actions: list[str]) -> str:
        allowed = [kind_of(a).command for a in actions if a in TransactionType.__members__]
        also = f" You can: {', '.join(allowed)}." if allowed else ""
        return (f"{display} can't be {kind.past} right now: its status is "
                f"{humanize_status(status)}.{also}")

    async def form(self, request_id: str) -> OrderForm | None:
        return await self.repo.get_form(request_id)

    # --- confirmation -------------------------------------------------------------

    async def confirm(self, request_id: str, entered: FormInput, user_id: str) -> ConfirmResult:
        bind(request_id=request_id)
        found = await self.repo.get_with_form(request_id)
        if found is None:
            return ConfirmResult(refusal="This form has expired. Please run the command again.")
        request, form = found
        if request.enterer != user_id:
            return ConfirmResult(refusal="Only the person who opened this form can submit it.")
        if request.offboarding_id is not None:
            await self.repo.audit(request_id, Audit(user_id, "refused_submission",
                                                    {"reason": "line of an offboarding"}))
            return ConfirmResult(refusal=BUNDLE_LINE + " Nothing was sent.")
        if request.state is not RequestState.DRAFT:
            return ConfirmResult(request=request)  # a repeated submit: already confirmed
        result = read_form(form, entered, region=self.region)
        if result.errors:
            return ConfirmResult(errors=result.errors)
        order = order_request(request, result.properties, result.acknowledgements)
        try:
            confirmation = await self.mobproc.confirm_order(order,
                                                            on_behalf_of=request.requester_email)
        except MobProcUnavailable:
            return ConfirmResult(refusal=UNAVAILABLE + " Your answers are kept below.")
        except MobProcError as exc:
            await self.repo.audit(request_id, Audit(user_id, "error", {
                "step": "confirmation", "message": exc.message, "mobprocErrorId": exc.error_id}))
            return ConfirmResult(refusal=exc.message)
        confirmed = await self.repo.save_confirmation(
            request_id, properties=result.properties,
            acknowledged=[a.id for a in result.acknowledgements], confirmation=confirmation,
            actor=user_id)
        if confirmed is not None:
            return ConfirmResult(request=confirmed, confirmed_now=True)
        return ConfirmResult(request=await self.repo.get(request_id))

    async def warnings(self, request: LineRequest) -> list[ApprovalWarning]:
        """What the approver should check first (holder, another open order on the line)."""
        return await approval_warnings(self.repo, request)

    async def adopt_approval_message(self, request_id: str, channel: str, ts: str) -> bool:
        """Record a message as the request's, only if it has none yet."""
        return await self.repo.set_message_if_unset(request_id, channel, ts)

    # --- decisions ------------------------------------------------------------------

    def approvals_required(self, request: LineRequest) -> int:
        return self.policy.required(request.transaction_type)

    async def with_approvals(self, requests: list[LineRequest]) -> list[LineRequest]:
        """``requests`` with who has approved each so far and how many each needs."""
        found = await self.approvals.approvers(r.id for r in requests
                                               if r.state is RequestState.PENDING)
        return [r.model_copy(update={"approved_by": found.get(r.id, ()),
                                     "approvals_required": self.approvals_required(r)})
                for r in requests]

    async def approve(self, request_id: str, user_id: str, *,
                      known: LineRequest | None = None, tell: Render | None = None,
                      progress: ProgressRender | None = None) -> Decision:
        """``known``: the request as the caller just read it, to spare a read. Only what
        never changes (who asked) is taken from it; the state change itself is conditional.
        ``tell``: the news of the submission that follows, queued by whichever path records
        it (this one, or the follower taking over a slow one), with the change it reports.

        A request whose order type needs several approvers (APPROVALS_REQUIRED) counts each
        approver once and moves to APPROVED at the last one, in the transaction that records
        it (``bot.storage.approvals``): however many clicks, here or in other replicas, it is
        placed once. An approval that leaves more to come queues what ``progress`` renders
        (the request still pending, with ``approved_by``, and the warnings its redrawn
        message must still show the next approver) in that same transaction."""
        bind(request_id=request_id)
        request = known if known is not None and known.id == request_id else \
            await self.repo.get(request_id)
        if request is None:
            return Decision(DecisionOutcome.NOT_FOUND)
        if request.offboarding_id is not None:
            return await self._refused(request, user_id, "approve", BUNDLE_LINE)
        required = self.approvals_required(request)
        decided_at = self.clock()
        warnings = await self.warnings(request) if required > 1 and progress else []

        def partial(now: ApprovalProgress) -> list[OutboxMessage]:
            return progress(_progressed(request, now), warnings) if progress else []

        verdict = await self.approving.approve(request, ApprovalStep(
            LINE_REQUESTS, request_id, RequestState.PENDING.value,
            RequestState.APPROVED.value, user_id, required,
            on_last={"decided_by": user_id, "decided_at": decided_at},
            partial_news=partial, outbox_key=request.outbox_key))
        if verdict.refusal is not None:
            return Decision(DecisionOutcome.NOT_ALLOWED, request, verdict.refusal)
        if verdict.outcome is Counted.NOT_WAITING:
            return await self._already_decided(request_id, user_id, "approve")
        if verdict.outcome is Counted.RECORDED:
            return Decision(DecisionOutcome.DONE, _progressed(request, verdict.progress),
                            progress=verdict.progress)
        self._decided(request, "approved", decided_at)
        log.info("Request %s approved by %s", request_id, user_id)
        placement = await self.submission.place(request_id, tell)
        return Decision(DecisionOutcome.DONE, placement.request)

    async def _refused(self, request: LineRequest, user_id: str, action: str,
                       reason: str) -> Decision:
        await self.approving.refuse(request.id, user_id, action, reason)
        return Decision(DecisionOutcome.NOT_ALLOWED, request, reason)

    async def _already_decided(self, request_id: str, user_id: str, action: str) -> Decision:
        current = await self.repo.get(request_id)
        await self.repo.audit(request_id, already_decided(
            user_id, action, current.state.value if current else None))
        return Decision(DecisionOutcome.ALREADY_DECIDED, current)

    async def cancel(self, request_id: str, user_id: str, *,
                     tell: Render | None = None) -> Decision:
        """What ``tell`` renders is queued with the cancellation, by the click that made it.

        Only a request waiting for approval can be cancelled here (a draft was never sent;
        a line of a leaver's request goes with its whole request). Its approval message,
        if still queued, leaves the queue unsent in the same transaction: a manager never
        gets live buttons for a request already withdrawn."""
        bind(request_id=request_id)
        request = await self.repo.get(request_id)
        if request is None:
            return Decision(DecisionOutcome.NOT_FOUND)
        if request.offboarding_id is not None:
            return await self._refused(request, user_id, "cancel", BUNDLE_LINE)
        if not await self.guards.may_cancel(request, user_id):
            return await self._refused(request, user_id, "cancel", CANCEL_NOT_ALLOWED)
        if request.state is RequestState.DRAFT:
            return await self._refused(request, user_id, "cancel", NEVER_SENT)
        decided_at = self.clock()
        after = request.model_copy(update={"state": RequestState.CANCELLED,
                                           "decided_by": user_id, "decided_at": decided_at})
        moved = await self.repo.move(request_id, [RequestState.PENDING],
                                     RequestState.CANCELLED, decided_by=user_id,
                                     decided_at=decided_at, audit=Audit(user_id, "cancelled"),
                                     outbox=tell(after) if tell else None,
                                     outbox_key=request.outbox_key, unqueue=APPROVAL)
        if moved is None:
            return await self._already_decided(request_id, user_id, "cancel")
        self._decided(request, "cancelled", decided_at)
        log.info("Request %s cancelled by %s", request_id, user_id)
        return Decision(DecisionOutcome.DONE, moved)

    def _decided(self, request: LineRequest, decision: str, decided_at: datetime) -> None:
        if self.metrics is not None:
            self.metrics.decided(request.transaction_type.value, decision, request.created_at,
                                 decided_at)

    async def pending(self) -> list[LineRequest]:
        return await self.repo.waiting_alone()

    async def expire_pending(self, pending: list[LineRequest],
                             tell: Render | None = None) -> list[LineRequest]:
        """Of ``pending``, those older than APPROVAL_TTL_HOURS expire; returns those that did
        (the state change is conditional, so a stale list is harmless, and what ``tell``
        renders is queued with it: once, whichever replica wins)."""
        expired: list[LineRequest] = []
        for request in pending:
            now = self.clock()
            if not self.schedule.expired(request.created_at, now):
                continue
            told = tell(request.model_copy(update={"state": RequestState.EXPIRED,
                                                   "decided_at": now})) if tell else None
            moved = await self.repo.move(request.id, [RequestState.PENDING],
                                         RequestState.EXPIRED, decided_at=now,
                                         audit=Audit("bot", "expired"), outbox=told,
                                         outbox_key=request.outbox_key, unqueue=APPROVAL)
            if moved is not None:
                self._decided(request, "expired", now)
                expired.append(moved)
        return expired

    async def due_reminders(self, pending: list[LineRequest],
                            tell: Render | None = None) -> list[LineRequest]:
        """Of ``pending``, those whose next reminder is due; each is counted (once, even with
        several processes, and only while still pending), with what ``tell`` renders queued
        in the same transaction, before it is returned."""
        due: list[LineRequest] = []
        now = self.clock()
        # The reminder says who approved so far and how many approvals are still needed.
        approved = await self.approvals.approvers(
            r.id for r in pending if self.approvals_required(r) > 1)
        for request in pending:
            number = self.schedule.reminder_now(request.created_at, request.reminders_sent,
                                                posted=bool(request.approval_ts), now=now)
            if number is None:
                continue
            told = tell(request.model_copy(update={
                "reminders_sent": number, "approved_by": approved.get(request.id, ()),
                "approvals_required": self.approvals_required(request)})) if tell else []
            if await self.approvals.count_reminder(Reminder(
                    LINE_REQUESTS, request.id, RequestState.PENDING.value,
                    request.reminders_sent, told, request.outbox_key)):
                refreshed = await self.repo.get(request.id)
                if refreshed is not None:
                    due.append(refreshed)
        return due

    def display_digits(self, digits: str) -> str:
        return format_service_number(digits, self.region)


def _progressed(request: LineRequest, progress: ApprovalProgress) -> LineRequest:
    """The request as it stands after an approval that leaves more to come."""
    return request.model_copy(update={"state": RequestState.PENDING,
                                      "approved_by": progress.approvers,
                                      "approvals_required": progress.required})


def no_line_message(number: ServiceNumber) -> str:
    """MobProc has no line with this number: said with what was read, so a number from
    abroad is seen to have been kept as one (never re-read as a number at home)."""
    if number.country is None:
        return f"MobProc has no line {number.display}. Please check the number."
    return f"I read {number.understood}; MobProc has no line with that number."


def _external_number() -> str:
    # Unique per request and reused on every retry of it (bot/mobproc/API.md).
    return f"SLACK-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4).upper()}"
