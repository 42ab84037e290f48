"""What is a leaver's request's own in posting its approval message; the step itself is the
one every request shares (``bot.approval.posts``).

The message is queued in the same transaction that makes the request pending
(``OffboardingService.confirm``), under its own purpose. The request and its lines record
it, and Slack's refusal for good cancels them together (``bot.storage.offboardings``). The
request has no column for its message's link: its lines keep it (the requester's Home links
it from there), and the requester's notice gets the one just read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.approval.posts import ApprovalPosts
from bot.effects.outbox import OutboxSender
from bot.offboarding.models import OffboardingView
from bot.storage.offboardings import OffboardingRepository
from bot.storage.outbox_queue import OutboxMessage
from bot.storage.requests import RequestRepository

# The outbox purpose of a leaver's request's approval message (one per request); rows
# already queued carry it.
BUNDLE_APPROVAL = "bundle_approval"

BundleApprovalPosts = ApprovalPosts[OffboardingView]


class BundlePostStore:
    """``OffboardingRepository`` as an ``ApprovalPostStore`` of the request with its lines.
    The repository is looked up at each call (tests inject faults there)."""

    def __init__(self, repo: OffboardingRepository) -> None:
        self.repo = repo

    async def approval_posted(self, call_id: int, key: str, channel: str, ts: str,
                              permalink: str | None = None,
                              follow: Callable[[OffboardingView], list[OutboxMessage]]
                              | None = None, /) -> None:
        # Its lines keep the link (for the requester's Home); ``follow`` was given it too.
        await self.repo.approval_posted(call_id, key, channel, ts, permalink, follow)

    async def approval_refused(self, call_id: int, key: str, error: str,
                               follow: Callable[[OffboardingView, str], list[OutboxMessage]]
                               | None = None, /) -> bool:
        if follow is None:
            return await self.repo.approval_refused(call_id, key, error)
        return await self.repo.approval_refused(call_id, key, error,
                                                lambda view: follow(view, error))

    async def pending_without_approval_post(self, purpose: str, stale_before: datetime, /
                                            ) -> list[OffboardingView]:
        return [OffboardingView(offboarding=o, orders=await self.repo.orders(o.id))
                for o in await self.repo.pending_without_approval_post(purpose, stale_before)]


def bundle_approval_posts(repo: OffboardingRepository, queue: RequestRepository,
                          outbox: OutboxSender,
                          render: Callable[[OffboardingView], Awaitable[OutboxMessage]], *,
                          lease_seconds: float) -> BundleApprovalPosts:
    return ApprovalPosts(BundlePostStore(repo), queue, outbox, render, purpose=BUNDLE_APPROVAL,
                         key=lambda view: view.offboarding.id, lease_seconds=lease_seconds)
