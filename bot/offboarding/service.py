"""/offboard-lines: every line a leaver holds, an order (or none) chosen per line, one
approval for all of them, and each order placed exactly once.

Each chosen line becomes an ordinary line request (``bot.orders.service``' storage, its own
externalOrderNumber). Its state follows the whole request's, moved in the request's own
transaction: DRAFT while the form is filled in, PENDING while the request waits for approval
(so other requests for the line see it as an open order), CANCELLED or EXPIRED with it.
Single-order machinery (expiry, reminders, Home, crafted clicks) never acts on one line
alone: it reads only requests without a leaver's request. Once approved, each line is placed
by ``bot.orders.submission`` and followed by the status follower like any other order.

What a decision tells is queued in the same transaction as the move it reports, by the one
path whose move won (as for single requests): the decision with the request's move, each
line's news with that line's move to placed or failed, the summary with the move to DONE. So
no crash loses it and no race between a click and the follower tells it twice. The Slack
side renders it (``BundleTellers``): nothing here builds a message.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.approval.guards import (
    CANCEL_NOT_ALLOWED,
    already_decided,
)
from bot.approval.warnings import ApprovalWarning, approval_warnings
from bot.domain import FormInput, LineRequest, OrderForm, RequestState
from bot.mobproc.errors import MobProcError, MobProcUnavailable
from bot.mobproc.models import (
    AcknowledgementsResponse,
    ServiceAsset,
    TransactionType,
)
from bot.offboarding.form import build, read_bundle
from bot.offboarding.models import (
    LEAVE_AS_IS,
    LINE_DONE,
    BundleForm,
    Offboarding,
    OffboardingState,
    OffboardingView,
)
from bot.offboarding.posts import BUNDLE_APPROVAL, BundleApprovalPosts
from bot.orders.form import FormErrors
from bot.orders.service import (
    UNAVAILABLE,
    DecisionOutcome,
    OrderRefused,
    OrderService,
    Requester,
)
from bot.orders.submission import Render, order_request
from bot.phone import format_service_number
from bot.storage.approvals import ApprovalProgress, ApprovalStep, Counted, Reminder
from bot.storage.audit import Audit
from bot.storage.offboardings import OFFBOARDINGS, OffboardingRepository
from bot.storage.outbox_queue import OutboxMessage
from bot.storage.waiting import LinesMove

log = logging.getLogger(__name__)

# MobProc calls made at once for one request (confirmations, submissions): enough to be
# quick for a leaver with many lines, few enough to stay clear of the tenant's rate limit.
PARALLEL_CALLS = 4
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
MAILTO = re.compile(r"^<mailto:([^|>]+)(?:\|[^>]*)?>$")
EMPLOYEE_ID = re.compile(r"^[A-Za-z0-9._@+-]{1,320}$")


@dataclass(frozen=True)
class EmployeeRef:
    """Who leaves, as the command named them: a Slack user, or MobProc's employee id."""

    slack_user: str | None = None
    employee_id: str | None = None


def parse_employee(text: str) -> EmployeeRef:
    """``@person``, an e-mail address or a company employee id; OrderRefused otherwise."""
    words = text.split()
    if len(words) != 1:
        raise OrderRefused("Please name one person: `/offboard-lines @person`, their e-mail "
                           "address or their company employee id.")
    word = words[0]
    if mention := MENTION.match(word):
        return EmployeeRef(slack_user=mention.group(1))
    if mailto := MAILTO.match(word):
        word = mailto.group(1)
    if not EMPLOYEE_ID.match(word):
        raise OrderRefused(f"“{word[:80]}” is neither a person, an e-mail address nor a "
                           "company employee id.")
    return EmployeeRef(employee_id=word)


ViewRender = Callable[[OffboardingView], list[OutboxMessage]]


@dataclass(frozen=True)
class BundleTellers:
    """What a leaver's request tells Slack, rendered by the Slack side."""

    decision: ViewRender  # approved or cancelled: the message's update and the thread's reply
    line: Render  # one line's order placed, refused or postponed
    summary: ViewRender  # every line's order has ended
    refresh: ViewRender  # the message brought up to date (no news)
    # An approval counted while more are needed: the message shows who approved (keeping
    # its buttons) and the thread says how many more are needed.
    progress: ViewRender | None = None


@dataclass
class ConfirmOutcome:
    errors: FormErrors | None = None
    refusals: list[tuple[str, str]] = field(default_factory=list)  # (line, MobProc's message)
    refusal: str | None = None  # the whole request can't go on
    view: OffboardingView | None = None
    confirmed_now: bool = False  # only the submission that made it pending queued its message


@dataclass
class BundleDecision:
    outcome: DecisionOutcome
    view: OffboardingView | None = None
    reason: str | None = None
    placed: list[LineRequest] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


class OffboardingService:
    def __init__(self, orders: OrderService, repo: OffboardingRepository,
                 posts: BundleApprovalPosts, *, clock: Callable[[], datetime] = _now) -> None:
        self.orders = orders
        self.repo = repo
        self.posts = posts
        self.clock = clock

    # --- listing the lines ---------------------------------------------------------

    async def start(self, requester: Requester, employee_id: str, channel: str | None
                    ) -> Offboarding:
        """The employee's lines, stored as a new request; no lines: nothing is stored."""
        try:
            lines = await self.orders.mobproc.services_of_employee(employee_id)
        except MobProcUnavailable:
            raise OrderRefused(UNAVAILABLE) from None
        except MobProcError as exc:
            raise OrderRefused(f"MobProc couldn't list {employee_id}'s lines: "
                               f"{exc.message}") from None
        holder = next((line.employee for line in lines if line.employee), None)
        offboarding = Offboarding(
            id=uuid.uuid4().hex, state=OffboardingState.CHOOSING,
            requester_id=requester.user_id, requester_name=requester.name,
            requester_email=requester.email, employee_ref=employee_id,
            employee_name=holder.display_name if holder else None, origin_channel=channel,
            lines=lines, created_at=self.clock())
        if lines:
            await self.repo.create(offboarding)
        return offboarding

    async def get(self, offboarding_id: str) -> Offboarding | None:
        return await self.repo.get(offboarding_id) if offboarding_id else None

    async def choose(self, offboarding_id: str, user_id: str, choices: dict[str, str]
                     ) -> Offboarding:
        """Record one page of choices (only choices the line allows are kept)."""
        offboarding = await self._own(offboarding_id, user_id)
        allowed = {line.id: set(line.orderActions) for line in offboarding.lines}
        kept = {sid: choice for sid, choice in choices.items() if sid in allowed and (
            choice == LEAVE_AS_IS or (choice in TransactionType.__members__
                                      and choice in allowed[sid]))}
        if not await self.repo.save_choices(offboarding_id, kept):
            raise OrderRefused("These lines were already chosen; nothing was changed.")
        refreshed = await self.repo.get(offboarding_id)
        assert refreshed is not None
        return refreshed

    async def _own(self, offboarding_id: str, user_id: str) -> Offboarding:
        offboarding = await self.get(offboarding_id)
        if offboarding is None:
            raise OrderRefused("This form has expired. Please run /offboard-lines again.")
        if offboarding.requester_id != user_id:
            raise OrderRefused("Only the person who opened this form can submit it.")
        return offboarding

    # --- the orders' properties ------------------------------------------------------

    async def prepare(self, offboarding_id: str, user_id: str, region: str = "US"
                      ) -> BundleForm | None:
        """Fetch what MobProc wants for each chosen order; one draft order per line.

        None when another submission of the same form is already preparing it."""
        offboarding = await self._own(offboarding_id, user_id)
        if not offboarding.chosen():
            raise OrderRefused("No line was given an order, so there is nothing to approve.")
        if not await self.repo.transition(offboarding_id, [OffboardingState.CHOOSING],
                                          OffboardingState.PREPARING):
            return None
        requester = Requester(offboarding.requester_id, offboarding.requester_name,
                              offboarding.requester_email)
        try:
            for line, kind in offboarding.chosen():
                await self._draft(offboarding, requester, line, kind.transaction_type, region)
        except OrderRefused:
            await self.repo.transition(offboarding_id, [OffboardingState.PREPARING],
                                       OffboardingState.CANCELLED,
                                       lines=LinesMove(RequestState.CANCELLED,
                                                       (RequestState.DRAFT,)))
            raise
        await self.repo.transition(offboarding_id, [OffboardingState.PREPARING],
                                   OffboardingState.DETAILS)
        return await self.bundle_form(offboarding_id, region)

    async def _draft(self, offboarding: Offboarding, requester: Requester, line: ServiceAsset,
                     tt: TransactionType, region: str) -> OrderForm:
        number = format_service_number(line.serviceNumber, region)
        try:
            groups = await self.orders.mobproc.get_properties(tt.value, line.id)
            acks = AcknowledgementsResponse()
            if tt is TransactionType.XFER_SERVICE_OUT and line.vendor_id:
                acks = await self.orders.mobproc.get_acknowledgements(tt.value, line.vendor_id)
        except MobProcUnavailable:
            raise OrderRefused(UNAVAILABLE) from None
        except MobProcError as exc:
            raise OrderRefused(f"MobProc couldn't prepare the order for {number}: "
                               f"{exc.message}") from None
        return await self.orders.repo.create_draft(
            request_id=uuid.uuid4().hex, transaction_type=tt, requester_id=requester.user_id,
            requester_name=requester.name, requester_email=requester.email,
            origin_channel=offboarding.origin_channel, service=line, property_groups=groups,
            acknowledgements=acks, external_order_number=_external_number(),
            offboarding_id=offboarding.id)

    async def bundle_form(self, offboarding_id: str, region: str = "US") -> BundleForm | None:
        forms: list[OrderForm] = []
        for order in await self.repo.orders(offboarding_id):
            form = await self.orders.repo.get_form(order.id)
            if form is not None:
                forms.append(form)
        return build(offboarding_id, forms, region) if forms else None

    # --- confirmation ------------------------------------------------------------------

    async def check(self, offboarding_id: str, entered: FormInput, user_id: str,
                    region: str = "US") -> ConfirmOutcome | None:
        """What stops the form before MobProc is asked (quick: no MobProc call); None: go on."""
        try:
            offboarding = await self._own(offboarding_id, user_id)
        except OrderRefused as refusal:
            return ConfirmOutcome(refusal=refusal.message)
        if offboarding.state is not OffboardingState.DETAILS:
            return None  # confirm() says what it is
        bundle = await self.bundle_form(offboarding_id, region)
        if bundle is None:
            return ConfirmOutcome(refusal="This form has expired. Please run /offboard-lines "
                                          "again.")
        _, errors = read_bundle(bundle, entered, region)
        return ConfirmOutcome(errors=errors) if errors else None

    async def confirm(self, offboarding_id: str, entered: FormInput, user_id: str,
                      region: str = "US") -> ConfirmOutcome:
        """Check every chosen order with MobProc (nothing is ordered); all confirmed → the
        request waits for approval. A refusal names its line and stores nothing."""
        try:
            offboarding = await self._own(offboarding_id, user_id)
        except OrderRefused as refusal:
            return ConfirmOutcome(refusal=refusal.message)
        if offboarding.state is not OffboardingState.DETAILS:
            if offboarding.state is OffboardingState.CANCELLED:
                return ConfirmOutcome(refusal="This request was cancelled; nothing was ordered.")
            return ConfirmOutcome(view=await self.view(offboarding_id))  # a repeated submit
        bundle = await self.bundle_form(offboarding_id, region)
        if bundle is None:
            return ConfirmOutcome(refusal="This form has expired. Please run /offboard-lines "
                                          "again.")
        results, errors = read_bundle(bundle, entered, region)
        if errors:
            return ConfirmOutcome(errors=errors)
        orders = {o.id: o for o in await self.repo.orders(offboarding_id)}
        gate = asyncio.Semaphore(PARALLEL_CALLS)

        async def check(form: OrderForm) -> tuple[str, object]:
            request = orders[form.request_id]
            result = results[form.request_id]
            body = order_request(request, result.properties, result.acknowledgements)
            async with gate:
                try:
                    return form.request_id, await self.orders.mobproc.confirm_order(
                        body, on_behalf_of=request.requester_email)
                except MobProcUnavailable:
                    return form.request_id, UNAVAILABLE
                except MobProcError as exc:
                    await self.orders.repo.audit(form.request_id, Audit(user_id, "error", {
                        "step": "confirmation", "message": exc.message,
                        "mobprocErrorId": exc.error_id}))
                    return form.request_id, exc.message

        answers = await asyncio.gather(*(check(f) for f in bundle.forms))
        refusals = [(format_service_number(orders[rid].service.serviceNumber, region), answer)
                    for rid, answer in answers if isinstance(answer, str)]
        if refusals:
            return ConfirmOutcome(refusals=refusals)
        for rid, confirmation in answers:
            result = results[rid]
            await self.orders.repo.update_fields(
                rid, properties_json=[g.model_dump(mode="json", by_alias=True, exclude_none=True)
                                      for g in result.properties],
                acknowledged_json=[a.id for a in result.acknowledgements],
                confirmation_json=confirmation.model_dump(  # type: ignore[attr-defined]
                    mode="json", by_alias=True, exclude_none=True))
        # The approval message is queued with the move to pending, by its one winner: no
        # crash can leave the request pending with its message neither posted nor queued.
        orders = await self.repo.orders(offboarding_id)
        pending = OffboardingView(
            offboarding=offboarding.model_copy(update={"state": OffboardingState.PENDING}),
            orders=_moved(orders, RequestState.DRAFT, RequestState.PENDING),
            approvals_required=self.approvals_required(orders),
            warnings=await self.warnings(offboarding, orders))
        moved = await self.repo.transition(
            offboarding_id, [OffboardingState.DETAILS], OffboardingState.PENDING,
            audit=Audit(user_id, "confirmed", {"lines": len(answers)}),
            queue_once=await self.posts.call(pending),
            lines=LinesMove(RequestState.PENDING, (RequestState.DRAFT,)))
        return ConfirmOutcome(view=await self.view(offboarding_id), confirmed_now=moved)

    async def warnings(self, offboarding: Offboarding, orders: list[LineRequest]
                       ) -> dict[str, list[ApprovalWarning]]:
        """Each line's warnings, as a single request's (``bot.approval.warnings``): its
        holder is checked against the leaver, for whom the orders are."""
        found: dict[str, list[ApprovalWarning]] = {}
        for order in orders:
            warnings = await approval_warnings(self.orders.repo, order,
                                               for_whom=offboarding.employee_ref)
            if warnings:
                found[order.id] = warnings
        return found

    async def pending_with_approvals(self) -> list[OffboardingView]:
        """Every request waiting for approval, with who has approved each so far and how
        many each needs (as ``OrderService.with_approvals`` for single requests)."""
        pending = await self.repo.waiting()
        found = await self.orders.approvals.approvers(v.offboarding.id for v in pending)
        return [v.model_copy(update={"approved_by": found.get(v.offboarding.id, ()),
                                     "approvals_required": self.approvals_required(v.orders)})
                for v in pending]

    async def view(self, offboarding_id: str) -> OffboardingView | None:
        """The request with its lines, who has approved it so far and how many it needs."""
        offboarding = await self.repo.get(offboarding_id)
        if offboarding is None:
            return None
        orders = await self.repo.orders(offboarding_id)
        approved = await self.orders.approvals.approvers([offboarding_id]) \
            if offboarding.state is OffboardingState.PENDING else {}
        return OffboardingView(offboarding=offboarding, orders=orders,
                               approved_by=approved.get(offboarding_id, ()),
                               approvals_required=self.approvals_required(orders))

    async def adopt_message(self, offboarding_id: str, channel: str, ts: str) -> bool:
        return await self.repo.set_message_if_unset(offboarding_id, channel, ts)

    # --- decisions ---------------------------------------------------------------------

    def approvals_required(self, orders: list[LineRequest]) -> int:
        """A leaver's request needs the most approvers any of its chosen lines' orders
        does (APPROVALS_REQUIRED)."""
        return self.orders.policy.for_types(o.transaction_type for o in orders)

    async def approve(self, offboarding_id: str, user_id: str,
                      tell: BundleTellers | None = None, *,
                      known: Offboarding | None = None) -> BundleDecision:
        """With ``tell``, the decision is queued with the move to approved, and each line's
        news with its own move, by whichever path (this one or the follower) makes it.
        ``known``: the request as the caller just read it, to spare a read (as
        ``OrderService.approve``): only what never changes is taken from it; the move itself
        is conditional.

        As for a single order, each approver counts once, the requester never when several
        are needed, and the move to approved is made by the last approval, in the
        transaction that records it (``bot.storage.approvals``); an approval that leaves
        more to come queues ``tell.progress`` in its own transaction."""
        offboarding = await self._known(offboarding_id, known)
        if offboarding is None:
            return BundleDecision(DecisionOutcome.NOT_FOUND)
        orders = await self.repo.orders(offboarding_id)
        required = self.approvals_required(orders)
        decided_at = self.clock()
        # The message is drawn again after an approval that leaves more to come: with the
        # warnings the next approver must still see.
        warnings = await self.warnings(offboarding, orders) \
            if required > 1 and tell is not None and tell.progress is not None else {}

        def last(progress: ApprovalProgress) -> list[OutboxMessage]:
            if tell is None:
                return []
            # As it is once approved: its lines are placed right after this move (or by the
            # follower after a crash), so the message already says they are being placed.
            return tell.decision(OffboardingView(
                offboarding=offboarding.model_copy(update={
                    "state": OffboardingState.APPROVED, "decided_by": user_id,
                    "decided_at": decided_at}),
                orders=_moved(orders, RequestState.PENDING, RequestState.APPROVED),
                approved_by=progress.approvers, approvals_required=required))

        def partial(progress: ApprovalProgress) -> list[OutboxMessage]:
            if tell is None or tell.progress is None:
                return []
            return tell.progress(OffboardingView(
                offboarding=offboarding, orders=orders, approved_by=progress.approvers,
                approvals_required=required, warnings=warnings))

        # Counted as a single request's approval is (``bot.approval.approving``).
        verdict = await self.orders.approving.approve(offboarding, ApprovalStep(
            OFFBOARDINGS, offboarding_id, OffboardingState.PENDING.value,
            OffboardingState.APPROVED.value, user_id, required,
            on_last={"decided_by": user_id, "decided_at": decided_at},
            last_news=last, partial_news=partial))
        if verdict.refusal is not None:
            return BundleDecision(DecisionOutcome.NOT_ALLOWED,
                                  await self.view(offboarding_id), verdict.refusal)
        if verdict.outcome is Counted.NOT_WAITING:
            return await self._already_decided(offboarding_id, user_id, "approve")
        if verdict.outcome is Counted.RECORDED:
            return BundleDecision(DecisionOutcome.DONE, await self.view(offboarding_id))
        log.info("Offboarding %s approved by %s", offboarding_id, user_id)
        placed = await self.place(offboarding_id, user_id, tell.line if tell else None)
        view = await self.view(offboarding_id)
        if tell is not None and view is not None:
            # The message shows each line's order; not once the summary has been queued
            # (it updates the message itself, and must stay last).
            await self.repo.queue_while(offboarding_id, OffboardingState.APPROVED,
                                        tell.refresh(view))
        return BundleDecision(DecisionOutcome.DONE, view, placed=placed)

    async def _known(self, offboarding_id: str, known: Offboarding | None
                     ) -> Offboarding | None:
        if known is not None and known.id == offboarding_id:
            return known
        return await self.repo.get(offboarding_id)

    async def _already_decided(self, offboarding_id: str, user_id: str, action: str
                               ) -> BundleDecision:
        view = await self.view(offboarding_id)
        await self.orders.repo.audit(offboarding_id, already_decided(
            user_id, action, view.offboarding.state.value if view else None))
        return BundleDecision(DecisionOutcome.ALREADY_DECIDED, view)

    async def _refused(self, offboarding_id: str, user_id: str, action: str, reason: str
                       ) -> BundleDecision:
        await self.orders.approving.refuse(offboarding_id, user_id, action, reason)
        return BundleDecision(DecisionOutcome.NOT_ALLOWED, await self.view(offboarding_id),
                              reason)

    async def place(self, offboarding_id: str, user_id: str, tell: Render | None = None
                    ) -> list[LineRequest]:
        """Place each line's order once: whoever moves a line out of PENDING submits it, and
        submission itself is exactly-once. One line's failure doesn't stop the others.
        Returns the lines whose news this call queued (what ``tell`` renders, with the move
        it reports): a line the follower recorded first (MobProc slower than a lease) is
        told by the follower, not here."""
        gate = asyncio.Semaphore(PARALLEL_CALLS)

        async def one(order: LineRequest) -> LineRequest | None:
            if not await self.orders.repo.transition(
                    order.id, [RequestState.PENDING], RequestState.APPROVED, decided_by=user_id,
                    decided_at=self.clock(), audit=Audit(user_id, "approved",
                                                         {"offboarding": offboarding_id})):
                return None
            async with gate:
                placement = await self.orders.submission.place(order.id, tell)
            return placement.request if placement.won else None

        placed = await asyncio.gather(*(one(o) for o in await self.repo.orders(offboarding_id)))
        return [p for p in placed if p is not None]

    async def cancel(self, offboarding_id: str, user_id: str,
                     tell: BundleTellers | None = None, *,
                     known: Offboarding | None = None) -> BundleDecision:
        """``known``: as for ``approve``; the move to cancelled is conditional."""
        offboarding = await self._known(offboarding_id, known)
        if offboarding is None:
            return BundleDecision(DecisionOutcome.NOT_FOUND)
        if not await self.orders.guards.may_cancel(offboarding, user_id):
            return await self._refused(offboarding_id, user_id, "cancel", CANCEL_NOT_ALLOWED)
        decided_at = self.clock()
        news = None
        if tell is not None:
            news = tell.decision(OffboardingView(
                offboarding=offboarding.model_copy(update={
                    "state": OffboardingState.CANCELLED, "decided_by": user_id,
                    "decided_at": decided_at}),
                orders=_moved(await self.repo.orders(offboarding_id), RequestState.PENDING,
                              RequestState.CANCELLED)))
        # The lines move with the request, in its transaction: no crash between the two. Its
        # approval message, if still queued, leaves the queue with them (no live buttons).
        moved = await self.repo.transition(
            offboarding_id, [OffboardingState.PENDING], OffboardingState.CANCELLED,
            decided_by=user_id, decided_at=decided_at, audit=Audit(user_id, "cancelled"),
            outbox=news, unqueue=BUNDLE_APPROVAL, lines=LinesMove(RequestState.CANCELLED, values={
                "decided_by": user_id, "decided_at": decided_at}))
        if not moved:
            return await self._already_decided(offboarding_id, user_id, "cancel")
        return BundleDecision(DecisionOutcome.DONE, await self.view(offboarding_id))

    # --- the follower's round ---------------------------------------------------------------

    async def expire(self, tell: ViewRender) -> list[OffboardingView]:
        """Pending requests older than APPROVAL_TTL_HOURS expire, with their lines; what
        ``tell`` renders is queued with each request's move, by the one process making it."""
        expired: list[OffboardingView] = []
        for offboarding in await self.repo.in_states([OffboardingState.PENDING]):
            decided_at = self.clock()
            if not self.orders.schedule.expired(offboarding.created_at, decided_at):
                continue
            view = OffboardingView(
                offboarding=offboarding.model_copy(update={
                    "state": OffboardingState.EXPIRED, "decided_at": decided_at}),
                orders=_moved(await self.repo.orders(offboarding.id), RequestState.PENDING,
                              RequestState.EXPIRED))
            if await self.repo.transition(offboarding.id, [OffboardingState.PENDING],
                                          OffboardingState.EXPIRED, decided_at=decided_at,
                                          audit=Audit("bot", "expired"), outbox=tell(view),
                                          unqueue=BUNDLE_APPROVAL,
                                          lines=LinesMove(RequestState.EXPIRED, values={
                                              "decided_at": decided_at})):
                expired.append(view)
        return expired

    async def due_reminders(self, tell: Callable[[OffboardingView], list[OutboxMessage]]
                            ) -> list[OffboardingView]:
        """Pending requests whose next reminder is due (``OrderService.schedule``, as for a
        single request); each counted once across processes, with what ``tell`` renders
        queued in the same transaction."""
        due: list[OffboardingView] = []
        now = self.clock()
        for offboarding in await self.repo.in_states([OffboardingState.PENDING]):
            number = self.orders.schedule.reminder_now(
                offboarding.created_at, offboarding.reminders_sent,
                posted=bool(offboarding.approval_ts), now=now)
            if number is None:
                continue
            orders = await self.repo.orders(offboarding.id)
            approved = await self.orders.approvals.approvers([offboarding.id])
            # The reminder says how many approvals are still needed.
            view = OffboardingView(
                offboarding=offboarding.model_copy(update={"reminders_sent": number}),
                orders=orders, approved_by=approved.get(offboarding.id, ()),
                approvals_required=self.approvals_required(orders))
            if await self.orders.approvals.count_reminder(Reminder(
                    OFFBOARDINGS, offboarding.id, OffboardingState.PENDING.value,
                    offboarding.reminders_sent, tell(view))):
                due.append(view)
        return due

    async def settle(self, tell: BundleTellers) -> tuple[list[LineRequest],
                                                         list[OffboardingView]]:
        """The follower's round for approved requests. Lines a crash left undecided (a lease
        after the decision) are placed now; requests whose every line has ended become DONE,
        once, with their summary queued in that move. Returns the lines this round told and
        the requests that just ended."""
        placed: list[LineRequest] = []
        ended: list[OffboardingView] = []
        stale = self.clock() - self.orders.submission.lease
        for offboarding in await self.repo.in_states([OffboardingState.APPROVED]):
            orders = await self.repo.orders(offboarding.id)
            if offboarding.decided_at is not None and offboarding.decided_at < stale:
                for order in orders:
                    if order.state is RequestState.PENDING and await self.orders.repo.transition(
                            order.id, [RequestState.PENDING], RequestState.APPROVED,
                            decided_by=offboarding.decided_by,
                            decided_at=offboarding.decided_at,
                            audit=Audit("bot", "approved", {"offboarding": offboarding.id,
                                                            "resumed": True})):
                        placement = await self.orders.submission.place(order.id, tell.line)
                        if placement.won:
                            placed.append(placement.request)
                orders = await self.repo.orders(offboarding.id)
            if not all(o.state in LINE_DONE for o in orders):
                continue
            done = OffboardingView(offboarding=offboarding.model_copy(
                update={"state": OffboardingState.DONE}), orders=orders)
            if await self.repo.transition(offboarding.id, [OffboardingState.APPROVED],
                                          OffboardingState.DONE,
                                          audit=Audit("bot", "offboarding_done"),
                                          outbox=tell.summary(done)):
                ended.append(done)
        return placed, ended


def _moved(orders: list[LineRequest], old: RequestState, new: RequestState
           ) -> list[LineRequest]:
    """The lines as a move of the whole request leaves them (``LinesMove``)."""
    return [o.model_copy(update={"state": new}) if o.state is old else o for o in orders]


def _external_number() -> str:
    # Each line's own reference, unique and reused on every retry (bot/mobproc/API.md).
    return f"SLACK-{datetime.now(UTC):%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"
