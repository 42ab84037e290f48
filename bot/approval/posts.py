"""Posting a request's approval message: a durable, exactly-once step.

The post is queued in the outbox at most once per request (a unique purpose), so repeated
submits, replicas and the repair below can never queue two. The outbox records the posted
message on the request in the same transaction that takes the call off the queue, paces it
with the channel's other posts, keeps it through 429s and outages, and cancels the request
only when Slack refuses it for good. A pending request with no message and none queued (a
crash between confirming and queueing, or one an older version left) is queued again by
``repair``, once it has been left alone for a lease period.

What follows the message (the requester's link, the note in the help-desk thread) is queued
in the transaction that records it as posted, and Slack's refusal's notice in the one that
cancels the request: rendered by the Slack side (``wire``), queued here, so a crash between
the record and what follows can't lose it, and only the sender that records it queues it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.domain import LineRequest
from bot.effects.outbox import APPROVAL, OutboxSender, PostOnce, approval_message_metadata
from bot.storage.repository import OutboxMessage, RequestRepository

log = logging.getLogger(__name__)

# The Slack side's parts, rendered to be queued in the record's transaction (nothing here
# builds a message): what follows the posted message, given the request as recorded; what
# tells of Slack's refusal, given the cancelled request and Slack's error; the message's
# link (a read from Slack, made before the record's transaction: None when Slack won't say).
FollowUps = Callable[[LineRequest], list[OutboxMessage]]
RefusalNews = Callable[[LineRequest, str], list[OutboxMessage]]
Permalink = Callable[[str, str], Awaitable[str | None]]


class ApprovalPosts:
    def __init__(self, repo: RequestRepository, outbox: OutboxSender,
                 render: Callable[[LineRequest], Awaitable[OutboxMessage]], *,
                 lease_seconds: float) -> None:
        self._repo = repo
        self._outbox = outbox
        self._render = render
        self._lease_seconds = lease_seconds

    def wire(self, *, permalink: Permalink, posted: FollowUps, refused: RefusalNews,
             changed: Callable[[str], Awaitable[None]] | None = None) -> None:
        """Have the outbox record this purpose's posts and refusals with what follows them.
        ``changed(request_id)`` runs after each record (refreshing views: not an effect to
        keep, a failure is only logged). The repository is looked up at each call (tests
        inject faults there)."""

        async def record_posted(call_id: int, request_id: str, channel: str, ts: str) -> None:
            link = await permalink(channel, ts)
            await self._repo.approval_posted(call_id, request_id, channel, ts, link, posted)
            await _changed(changed, request_id)

        async def record_refused(call_id: int, request_id: str, error: str) -> bool:
            cancelled = await self._repo.approval_refused(call_id, request_id, error, refused)
            await _changed(changed, request_id)
            return cancelled

        self._outbox.post_once(APPROVAL, PostOnce(record_posted, record_refused))

    async def _call(self, request: LineRequest) -> OutboxMessage:
        call = await self._render(request)
        # The render's metadata (the line order's), naming the request the message is for.
        return OutboxMessage(call.method, {**call.args, "metadata": approval_message_metadata(
            request.id, call.args.get("metadata"))})

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


async def _changed(changed: Callable[[str], Awaitable[None]] | None, key: str) -> None:
    if changed is None:
        return
    try:
        await changed(key)
    except Exception:  # a view refresh must not hold up the queue
        log.warning("Refreshing views after the approval message of %s failed", key,
                    exc_info=True)
