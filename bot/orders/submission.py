"""Placing an approved order with MobProc exactly once, and finishing interrupted ones.

The request is marked SUBMITTING (its externalOrderNumber already stored) before any call;
when MobProc's answer is lost, the order is looked up by that number before anything is
sent again: on the spot, and by the follower after a crash or restart.

Whoever submits holds a fenced claim (bot/effects/fence.py): the follower takes a
submission over only once its lease has lapsed, raising the attempt number, and the POST
leaves only if its attempt is still the claim and can end before the lease does. So a POST
held back past the lease (the limiter's queue, a 429 pause, a slow connect) is dropped, not
sent after the taker-over looked for it and found nothing.

A click and the follower may both be at one submission (MobProc slower than the lease): only
the path whose conditional move wins (placed, failed, unconfirmable) tells it, and it queues
that news in the same transaction as the move, so a crash can neither lose nor double it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.domain import LineRequest, RequestState
from bot.effects.fence import Fence, SendDropped
from bot.mobproc.client import MobProcClient
from bot.mobproc.errors import MobProcError, MobProcOutcomeUnknown, MobProcUnavailable
from bot.mobproc.models import AcknowledgementValue, Order, OrderRequest, PropertyValueGroup
from bot.ops.log_context import bind, log_context
from bot.storage.audit import Audit
from bot.storage.outbox_queue import OutboxMessage
from bot.storage.requests import RequestRepository, SubmissionClaim

log = logging.getLogger(__name__)

# Renders what a change tells, to be queued in the same transaction as the change (the
# Slack side renders it: nothing here builds a message).
Render = Callable[[LineRequest], list[OutboxMessage]]


@dataclass(frozen=True)
class Placement:
    """Where a submission stands, and whether this call made its latest news-worthy move
    (and so queued what ``tell`` renders with it). A path that lost the race tells nothing:
    the winner did."""

    request: LineRequest
    won: bool = False


def order_request(request: LineRequest, properties: list[PropertyValueGroup],
                  acks: list[AcknowledgementValue]) -> OrderRequest:
    """The body of both the confirmation and the submission: the same for both, always."""
    return OrderRequest(externalOrderNumber=request.external_order_number,
                        transactionType=request.transaction_type.value,
                        serviceId=request.service.id, properties=properties,
                        acknowledgements=acks)


class Submission:
    def __init__(self, mobproc: MobProcClient, repo: RequestRepository) -> None:
        self.mobproc = mobproc
        self.repo = repo
        # Derived from the longest a send may take, never set on its own.
        self.lease = timedelta(seconds=mobproc.config.lease_seconds)

    async def submit(self, request_id: str) -> LineRequest:
        """Place an approved order with MobProc, once (queuing no news)."""
        return (await self.place(request_id)).request

    async def place(self, request_id: str, tell: Render | None = None) -> Placement:
        """Place an approved order with MobProc, once. With ``tell``, its news is queued: in
        the transaction of the move that placed or failed it, or (MobProc not answering) as
        soon as that is known, by the call that began submitting."""
        claim = await self.repo.start_submission(request_id, self.lease,
                                                 audit=Audit("bot", "submitting"))
        if claim is None:  # someone else is submitting it, or it is already placed
            current = await self.repo.get(request_id)
            assert current is not None
            return Placement(current)
        # This call made it SUBMITTING, so nothing can have been sent for it yet: no lookup,
        # which also keeps the first submission independent of the assumed lookup endpoint.
        placement = await self._place(claim, tell, may_exist=False)
        now = placement.request
        if tell is not None and not placement.won and now.state is RequestState.SUBMITTING \
                and now.error is None and await self.repo.enqueue_while(
                    now.id, [RequestState.SUBMITTING], tell(now), outbox_key=now.outbox_key):
            # Approved, not placed yet: said once (only this call moved it to SUBMITTING),
            # and only while nobody has recorded the placement since, which its own move
            # tells.
            return Placement(now, won=True)
        return placement

    async def resume(self, tell: Render) -> list[LineRequest]:
        """Finish submissions interrupted by a crash or an outage, queuing what ``tell``
        renders; returns those with news (placed, failed, or newly known unconfirmable)."""
        done: list[LineRequest] = []
        # Leases run on wall-clock time, as updated_at does.
        stale_before = datetime.now(UTC) - self.lease
        for request in await self.repo.in_states([RequestState.APPROVED,
                                                  RequestState.SUBMITTING]):
            # Only requests whose claim has lapsed: one being submitted right now by a click
            # handler (here or in another process) is left alone, and taking it over raises
            # the attempt, so that handler's send, if still held back, can no longer leave.
            with log_context(request_id=request.id, order_id=request.order_id):
                if request.state is RequestState.APPROVED:
                    if not await self.repo.claim(request.id, request.state, stale_before):
                        continue
                    placement = await self.place(request.id, tell)
                else:
                    claim = await self.repo.take_over_submission(request.id, self.lease)
                    if claim is None:
                        continue
                    placement = await self._place(claim, tell)
            if placement.won:
                done.append(placement.request)
        return done

    async def _place(self, claim: SubmissionClaim, tell: Render | None, *,
                     may_exist: bool = True) -> Placement:
        request = claim.request
        if may_exist and (known := await self._look_up(request, tell)) is not None:
            return known
        body = order_request(
            request, request.properties,
            [AcknowledgementValue(id=a, boolean=True) for a in request.acknowledged])
        fence = Fence(claim.attempt, claim.lease_until,
                      lambda attempt: self.repo.holds_submission(request.id, attempt),
                      extend=lambda attempt, seconds: self.repo.extend_submission(
                          request.id, attempt, seconds),
                      # A lookup was awaited since the claim: the send reads it again.
                      confirmed_at=None if may_exist else claim.lease_until - self.lease)
        try:
            order = await self.mobproc.submit_order(body, on_behalf_of=request.requester_email,
                                                    fence=fence)
        except SendDropped as exc:
            log.warning("Submission of %s not sent (%s); whoever takes its claim over looks "
                        "it up and sends it", request.id, exc)
            return Placement(request)
        except MobProcOutcomeUnknown:
            log.warning("Submission of %s: answer lost; looking it up", request.id)
            return await self._look_up(request, tell) or Placement(request)
        except MobProcUnavailable as exc:
            log.warning("Submission of %s postponed: %s", request.id, exc.message)
            return Placement(request)
        except MobProcError as exc:
            return await self._failed(request, exc, tell)
        return await self._record_order(request, order, tell)

    async def _failed(self, request: LineRequest, exc: MobProcError,
                      tell: Render | None) -> Placement:
        after = request.model_copy(update={"state": RequestState.FAILED, "error": exc.message})
        failed = await self.repo.move(request.id, [RequestState.SUBMITTING],
                                      RequestState.FAILED, error=exc.message,
                                      audit=Audit("mobproc", "error", {
                                          "step": "submission", "message": exc.message,
                                          "mobprocErrorId": exc.error_id}),
                                      outbox=tell(after) if tell else None,
                                      outbox_key=request.outbox_key)
        if failed is not None:
            return Placement(failed, won=True)
        return await self._elsewhere(request)

    async def _look_up(self, request: LineRequest, tell: Render | None) -> Placement | None:
        """Ask MobProc for the order by its externalOrderNumber. Found: recorded as placed.
        MobProc can't say: the request, still submitting. None only when MobProc says there
        is no such order, so sending it is safe."""
        try:
            existing = await self.mobproc.find_orders_by_external_number(
                request.external_order_number)
        except MobProcError as exc:
            return await self._unconfirmed(request, exc, tell)
        return await self._record_order(request, existing[0], tell) if existing else None

    async def _unconfirmed(self, request: LineRequest, exc: MobProcError,
                           tell: Render | None) -> Placement:
        """The order may exist but MobProc won't say: never resend blind. An outage is retried
        quietly; a refusal of the lookup itself is recorded (and told) once, then retried."""
        log.warning("Could not check for an existing order of %s: %s", request.id, exc.message)
        if isinstance(exc, MobProcUnavailable):
            return Placement(request)
        after = request.model_copy(update={"error": exc.message})
        if await self.repo.note_unconfirmed(request.id, exc.message,
                                            outbox=tell(after) if tell else None,
                                            outbox_key=request.outbox_key):
            log.error("Request %s: MobProc refuses the lookup by externalOrderNumber %s; it "
                      "will not be sent again until the lookup answers", request.id,
                      request.external_order_number)
            return Placement(await self.repo.get(request.id) or after, won=True)
        return Placement(await self.repo.get(request.id) or request)

    async def _record_order(self, request: LineRequest, order: Order,
                            tell: Render | None) -> Placement:
        bind(order_id=order.orderId)
        segments = {s.orderSegmentId: s.status or "" for s in order.segments}
        placed = {"order_id": order.orderId, "order_status": order.status, "error": None}
        after = request.model_copy(update={**placed, "state": RequestState.SUBMITTED,
                                           "segment_statuses": segments})
        moved = await self.repo.move(request.id, [RequestState.SUBMITTING],
                                     RequestState.SUBMITTED, segment_statuses_json=segments,
                                     audit=Audit("mobproc", "submitted", {
                                         "orderId": order.orderId, "status": order.status}),
                                     outbox=tell(after) if tell else None,
                                     outbox_key=request.outbox_key, **placed)
        if moved is None:
            return await self._elsewhere(request)
        log.info("Request %s placed as MobProc order %s", request.id, order.orderId)
        return Placement(moved, won=True)

    async def _elsewhere(self, request: LineRequest) -> Placement:
        """Another path (the follower taking over a slow click, or the click outliving the
        lease) recorded the outcome first, and told it."""
        log.info("Request %s: its submission was recorded by another path", request.id)
        current = await self.repo.get(request.id)
        assert current is not None
        return Placement(current)
