"""Posting a leaver's request's approval message: a durable, exactly-once step.

The message is queued in the outbox in the same transaction that makes the request pending
(``OffboardingService.confirm``), under the request's id and its own purpose, so nothing else
can queue it twice. The outbox posts it (paced with the channel's other posts, kept through
429s and outages), records it on the request and its lines in the transaction that takes the
call off the queue, finds it again by its message metadata when a sender died between
Slack's answer and that record, and cancels the request (with its lines) only when Slack
refuses it for good. ``repair`` queues it for a request an older version, which posted it
directly, left pending without one.

What follows (the requester's link to the message; on Slack's refusal, the notice of it) is
queued in the transaction that records the post or the refusal, rendered by the Slack side
(``wire``), so a crash right after the record can't lose it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.approval.posts import _changed as after_record
from bot.effects.outbox import OutboxSender, PostOnce, approval_message_metadata
from bot.offboarding.models import OffboardingView
from bot.storage.offboardings import OffboardingRepository
from bot.storage.repository import OutboxMessage, RequestRepository

log = logging.getLogger(__name__)

# The outbox purpose of a leaver's request's approval message (one per request).
BUNDLE_APPROVAL = "bundle_approval"

# The Slack side's parts, rendered to be queued in the record's transaction: what follows the
# posted message (given the request as recorded and the message's link, None when Slack
# won't give it); what tells of Slack's refusal (given Slack's error); the link itself.
BundleFollowUps = Callable[[OffboardingView, str | None], list[OutboxMessage]]
BundleRefusalNews = Callable[[OffboardingView, str], list[OutboxMessage]]
Permalink = Callable[[str, str], Awaitable[str | None]]


class BundleApprovalPosts:
    def __init__(self, repo: OffboardingRepository, queue: RequestRepository,
                 outbox: OutboxSender, render: Callable[[OffboardingView], OutboxMessage], *,
                 lease_seconds: float) -> None:
        self._repo = repo
        self._queue = queue
        self._outbox = outbox
        self._render = render
        self._lease_seconds = lease_seconds
        self.wire()

    def wire(self, *, permalink: Permalink | None = None,
             posted: BundleFollowUps | None = None,
             refused: BundleRefusalNews | None = None,
             changed: Callable[[str], Awaitable[None]] | None = None) -> None:
        """Have the outbox record this purpose's posts and refusals, with what ``posted`` /
        ``refused`` render (the handlers', which speak Slack) queued in the same
        transaction; ``changed(offboarding_id)`` runs after each record (refreshing views, as
        for a single request's). The repository is looked up at each call (tests inject
        faults there)."""

        async def record_posted(call_id: int, key: str, channel: str, ts: str) -> None:
            if posted is None:
                await self._repo.approval_posted(call_id, key, channel, ts)
            else:
                link = await permalink(channel, ts) if permalink is not None else None
                await self._repo.approval_posted(call_id, key, channel, ts,
                                                 lambda view: posted(view, link))
            await after_record(changed, key)

        async def record_refused(call_id: int, key: str, error: str) -> bool:
            if refused is None:
                cancelled = await self._repo.approval_refused(call_id, key, error)
            else:
                cancelled = await self._repo.approval_refused(
                    call_id, key, error, lambda view: refused(view, error))
            await after_record(changed, key)
            return cancelled

        self._outbox.post_once(BUNDLE_APPROVAL, PostOnce(record_posted, record_refused))

    def call(self, view: OffboardingView) -> tuple[str, OutboxMessage]:
        """The (purpose, call) to queue for the request's approval message."""
        call = self._render(view)
        # The render's metadata (the request's lines), naming the request it is for.
        return BUNDLE_APPROVAL, OutboxMessage(call.method, {
            **call.args, "metadata": approval_message_metadata(view.offboarding.id,
                                                               call.args.get("metadata"))})

    async def deliver(self) -> None:
        await self._outbox.deliver()

    async def repair(self) -> list[OffboardingView]:
        """Queue the approval message of every pending request that has none and none
        queued, once it has been left alone for a lease; returns them."""
        stale_before = datetime.now(UTC) - timedelta(seconds=self._lease_seconds)
        repaired: list[OffboardingView] = []
        for offboarding in await self._repo.pending_without_approval_post(BUNDLE_APPROVAL,
                                                                          stale_before):
            view = OffboardingView(offboarding=offboarding,
                                   orders=await self._repo.orders(offboarding.id))
            purpose, call = self.call(view)
            if await self._queue.enqueue_once(offboarding.id, call, purpose):
                log.warning("Offboarding %s was pending without its approval message; "
                            "queued it", offboarding.id)
                repaired.append(view)
        if repaired:
            await self._outbox.deliver()
        return repaired
