"""Posting a request's approval message: a durable, exactly-once step.

The post is queued in the outbox at most once per request (a unique purpose), so repeated
submits, replicas and the repair below can never queue two. The outbox records the posted
message on the request in the same transaction that takes the call off the queue, paces it
with the channel's other posts, keeps it through 429s and outages, and cancels the request
only when Slack refuses it for good. A pending request with no message and none queued (a
crash between confirming and queueing, or one an older version left) is queued again by
``repair``, once it has been left alone for a lease period.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.domain import LineRequest
from bot.outbox import APPROVAL, OutboxSender, approval_metadata
from bot.storage.repository import OutboxMessage, RequestRepository

log = logging.getLogger(__name__)


class ApprovalPosts:
    def __init__(self, repo: RequestRepository, outbox: OutboxSender,
                 render: Callable[[LineRequest], Awaitable[OutboxMessage]], *,
                 lease_seconds: float) -> None:
        self._repo = repo
        self._outbox = outbox
        self._render = render
        self._lease_seconds = lease_seconds

    async def _call(self, request: LineRequest) -> OutboxMessage:
        call = await self._render(request)
        return OutboxMessage(call.method, {**call.args,
                                           "metadata": approval_metadata(request.id)})

    async def queue(self, request: LineRequest) -> bool:
        """Queue the approval message of a pending request and send what may go; False if it
        was queued before."""
        queued = await self._repo.enqueue_once(request.id, await self._call(request),
                                                 APPROVAL)
        await self._outbox.deliver()
        return queued

    async def repair(self) -> list[LineRequest]:
        """Queue the approval message of every pending request that has none; returns them."""
        stale_before = datetime.now(UTC) - timedelta(seconds=self._lease_seconds)
        repaired: list[LineRequest] = []
        for request in await self._repo.pending_without_approval_post(APPROVAL, stale_before):
            if await self._repo.enqueue_once(request.id, await self._call(request),
                                                 APPROVAL):
                log.warning("Request %s was pending without its approval message; queued it",
                            request.id)
                repaired.append(request)
        if repaired:
            await self._outbox.deliver()
        return repaired
