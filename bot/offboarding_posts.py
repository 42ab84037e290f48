"""Posting a leaver's request's approval message: a durable, exactly-once step.

The message is queued in the outbox in the same transaction that makes the request pending
(``OffboardingService.confirm``), under the request's id and its own purpose, so nothing else
can queue it twice. The outbox posts it (paced with the channel's other posts, kept through
429s and outages), records it on the request and its lines in the transaction that takes the
call off the queue, finds it again by its message metadata when a sender died between
Slack's answer and that record, and cancels the request (with its lines) only when Slack
refuses it for good. ``repair`` queues it for a request an older version, which posted it
directly, left pending without one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.offboarding_models import OffboardingView
from bot.outbox import OutboxSender, Posted, PostOnce, Refused, approval_metadata
from bot.storage.offboardings import OffboardingRepository
from bot.storage.repository import OutboxMessage, RequestRepository

log = logging.getLogger(__name__)

# The outbox purpose of a leaver's request's approval message (one per request).
BUNDLE_APPROVAL = "bundle_approval"


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

    def wire(self, posted: Posted | None = None, refused: Refused | None = None) -> None:
        """Have the outbox record this purpose's posts, then run ``posted`` / ``refused``
        (the handlers', which speak Slack). The repository is looked up at each call."""
        self._outbox.post_once(BUNDLE_APPROVAL, PostOnce(
            lambda *args: self._repo.approval_posted(*args),
            lambda *args: self._repo.approval_refused(*args), posted, refused))

    def call(self, view: OffboardingView) -> tuple[str, OutboxMessage]:
        """The (purpose, call) to queue for the request's approval message."""
        call = self._render(view)
        return BUNDLE_APPROVAL, OutboxMessage(call.method, {
            **call.args, "metadata": approval_metadata(view.offboarding.id)})

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
