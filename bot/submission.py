"""Placing an approved order with MobProc exactly once, and finishing interrupted ones.

The request is marked SUBMITTING (its externalOrderNumber already stored) before any call;
when MobProc's answer is lost, the order is looked up by that number before anything is
sent again: on the spot, and by the follower after a crash or restart.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from bot.domain import LineRequest, RequestState
from bot.log_context import bind, log_context
from bot.mobproc.client import MobProcClient
from bot.mobproc.errors import MobProcError, MobProcOutcomeUnknown, MobProcUnavailable
from bot.mobproc.models import AcknowledgementValue, Order, OrderRequest, PropertyValueGroup
from bot.storage.repository import Audit, RequestRepository

log = logging.getLogger(__name__)


def order_request(request: LineRequest, properties: list[PropertyValueGroup],
                  acks: list[AcknowledgementValue]) -> OrderRequest:
    """The body of both the confirmation and the submission: the same for both, always."""
    return OrderRequest(externalOrderNumber=request.external_order_number,
                        transactionType=request.transaction_type.value,
                        serviceId=request.service.id, properties=properties,
                        acknowledgements=acks)


class Submission:
    def __init__(self, mobproc: MobProcClient, repo: RequestRepository, *,
                 lease_seconds: float) -> None:
        self.mobproc = mobproc
        self.repo = repo
        self.lease_seconds = lease_seconds

    async def submit(self, request_id: str) -> LineRequest:
        """Place an approved order with MobProc, once."""
        request = await self.repo.move(request_id, [RequestState.APPROVED],
                                       RequestState.SUBMITTING,
                                       audit=Audit("bot", "submitting"))
        if request is None:  # someone else is submitting it, or it is already placed
            current = await self.repo.get(request_id)
            assert current is not None
            return current
        # This call made it SUBMITTING, so nothing can have been sent for it yet: no lookup,
        # which also keeps the first submission independent of the assumed lookup endpoint.
        return await self._place(request, may_exist=False)

    async def resume(self) -> list[LineRequest]:
        """Finish submissions interrupted by a crash or an outage; returns those with news
        (placed, failed, or newly known to be unconfirmable)."""
        done: list[LineRequest] = []
        # Leases run on wall-clock time, as updated_at does.
        stale_before = datetime.now(UTC) - timedelta(seconds=self.lease_seconds)
        for request in await self.repo.in_states([RequestState.APPROVED,
                                                  RequestState.SUBMITTING]):
            # Only requests nobody has touched for a lease period: one being submitted
            # right now by a click handler (here or in another process) is left alone.
            if not await self.repo.claim(request.id, request.state, stale_before):
                continue
            told = request.error is not None
            with log_context(request_id=request.id, order_id=request.order_id):
                if request.state is RequestState.APPROVED:
                    request = await self.submit(request.id)
                else:
                    request = await self._place(request)
            # Placed or failed: news. Still unconfirmed: news only the first time it is so.
            if request.state is not RequestState.SUBMITTING or (request.error and not told):
                done.append(request)
        return done

    async def _place(self, request: LineRequest, *, may_exist: bool = True) -> LineRequest:
        if may_exist and (known := await self._look_up(request)) is not None:
            return known
        body = order_request(
            request, request.properties,
            [AcknowledgementValue(id=a, boolean=True) for a in request.acknowledged])
        try:
            order = await self.mobproc.submit_order(body,
                                                    on_behalf_of=request.requester_email)
        except MobProcOutcomeUnknown:
            log.warning("Submission of %s: answer lost; looking it up", request.id)
            return await self._look_up(request) or request
        except MobProcUnavailable as exc:
            log.warning("Submission of %s postponed: %s", request.id, exc.message)
            return request
        except MobProcError as exc:
            await self.repo.transition(request.id, [RequestState.SUBMITTING],
                                       RequestState.FAILED, error=exc.message,
                                       audit=Audit("mobproc", "error", {
                                           "step": "submission", "message": exc.message,
                                           "mobprocErrorId": exc.error_id}))
            refreshed = await self.repo.get(request.id)
            assert refreshed is not None
            return refreshed
        return await self._record_order(request, order)

    async def _look_up(self, request: LineRequest) -> LineRequest | None:
        """Ask MobProc for the order by its externalOrderNumber. Found: the request, now
        recorded as placed. MobProc can't say: the request, still submitting. None only when
        MobProc says there is no such order, so sending it is safe."""
        try:
            existing = await self.mobproc.find_orders_by_external_number(
                request.external_order_number)
        except MobProcError as exc:
            return await self._unconfirmed(request, exc)
        return await self._record_order(request, existing[0]) if existing else None

    async def _unconfirmed(self, request: LineRequest, exc: MobProcError) -> LineRequest:
        """The order may exist but MobProc won't say: never resend blind. An outage is retried
        quietly; a refusal of the lookup itself is recorded (and told) once, then retried."""
        log.warning("Could not check for an existing order of %s: %s", request.id, exc.message)
        if isinstance(exc, MobProcUnavailable):
            return request
        if await self.repo.note_unconfirmed(request.id, exc.message):
            log.error("Request %s: MobProc refuses the lookup by externalOrderNumber %s; it "
                      "will not be sent again until the lookup answers", request.id,
                      request.external_order_number)
        return await self.repo.get(request.id) or request

    async def _record_order(self, request: LineRequest, order: Order) -> LineRequest:
        bind(order_id=order.orderId)
        segments = {s.orderSegmentId: s.status or "" for s in order.segments}
        placed = await self.repo.move(request.id, [RequestState.SUBMITTING],
                                      RequestState.SUBMITTED, order_id=order.orderId,
                                      order_status=order.status, error=None,
                                      segment_statuses_json=segments,
                                      audit=Audit("mobproc", "submitted", {
                                          "orderId": order.orderId, "status": order.status}))
        log.info("Request %s placed as MobProc order %s", request.id, order.orderId)
        refreshed = placed or await self.repo.get(request.id)
        assert refreshed is not None
        return refreshed
