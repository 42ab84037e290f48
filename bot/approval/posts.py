"""Posting a request's approval message: a durable, exactly-once step, one for every kind of
request (a single line's, ``LineRequest``; a leaver's of several lines, ``OffboardingView``).

The post is queued in the outbox at most once per request (a unique purpose, one per kind),
so repeated submits, replicas and the repair below can never queue two. The outbox records
the posted message on the request in the same transaction that takes the call off the queue,
paces it with the channel's other posts, keeps it through 429s and outages, finds it again
by its message metadata when a sender died between Slack's answer and that record, and
cancels the request only when Slack refuses it for good. A pending request with no message
and none queued (a crash between confirming and queueing, or one an older version left) is
queued again by ``repair``, once it has been left alone for a lease period.

What follows the message (the requester's link, the note in the help-desk thread) is queued
in the transaction that records it as posted, and Slack's refusal's notice in the one that
cancels the request: rendered by the Slack side (``wire``), queued here, so a crash between
the record and what follows can't lose it, and only the sender that records it queues it.
What differs between kinds is the subject's store (``ApprovalPostStore``), its render, its
key and its purpose.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Generic, Protocol, TypeVar

from bot.domain import LineRequest
from bot.effects.outbox import APPROVAL, OutboxSender, PostOnce, approval_message_metadata
from bot.storage.outbox_queue import OutboxMessage
from bot.storage.requests import RequestRepository

log = logging.getLogger(__name__)

S = TypeVar("S")

# The Slack side's parts, rendered to be queued in the record's transaction (nothing here
# builds a message): what follows the posted message, given the request as recorded and the
# message's link (None when Slack won't say); what tells of Slack's refusal, given the
# cancelled request and Slack's error; the link itself (a read from Slack, made before the
# record's transaction).
FollowUps = Callable[[S, str | None], list[OutboxMessage]]
RefusalNews = Callable[[S, str], list[OutboxMessage]]
Permalink = Callable[[str, str], Awaitable[str | None]]


class ApprovalPostStore(Protocol[S]):
    """Where a kind of request records its approval message (``S``: the request as the
    renders see it)."""

    async def approval_posted(self, call_id: int, key: str, channel: str, ts: str,
                              permalink: str | None = None,
                              follow: Callable[[S], list[OutboxMessage]] | None = None, /
                              ) -> None:
        """Take the call off the queue, record the message and queue what ``follow``
        renders, in one transaction (nothing when another sender recorded it)."""

    async def approval_refused(self, call_id: int, key: str, error: str,
                               follow: Callable[[S, str], list[OutboxMessage]] | None = None,
                               /) -> bool:
        """Take the call off the queue and cancel the pending request with what ``follow``
        renders queued, in one transaction; True if it was cancelled here."""

    async def pending_without_approval_post(self, purpose: str, stale_before: datetime, /
                                            ) -> list[S]:
        """Pending requests with no message and none queued under ``purpose``, untouched
        since ``stale_before``."""


class ApprovalPosts(Generic[S]):
    """The approval messages of one kind of request, queued under ``purpose``. ``queue`` is
    where the outbox's rows are written (the request repository)."""

    def __init__(self, store: ApprovalPostStore[S], queue: RequestRepository,
                 outbox: OutboxSender, render: Callable[[S], Awaitable[OutboxMessage]], *,
                 purpose: str, key: Callable[[S], str], lease_seconds: float) -> None:
        self._store = store
        self._queue = queue
        self._outbox = outbox
        self._render = render
        self._key = key
        self.purpose = purpose
        self._lease_seconds = lease_seconds
        self.wire()  # recorded, with nothing following, until the Slack side says what does

    def wire(self, *, permalink: Permalink | None = None, posted: FollowUps[S] | None = None,
             refused: RefusalNews[S] | None = None,
             changed: Callable[[str], Awaitable[None]] | None = None) -> None:
        """Have the outbox record this purpose's posts and refusals with what follows them.
        ``changed(key)`` runs after each record (refreshing views: not an effect to keep, a
        failure is only logged). The store is looked up at each call (tests inject faults
        there)."""

        async def record_posted(call_id: int, key: str, channel: str, ts: str) -> None:
            link = await permalink(channel, ts) if permalink is not None else None
            follow = None if posted is None else (lambda subject: posted(subject, link))
            await self._store.approval_posted(call_id, key, channel, ts, link, follow)
            await _changed(changed, key)

        async def record_refused(call_id: int, key: str, error: str) -> bool:
            cancelled = await self._store.approval_refused(call_id, key, error, refused)
            await _changed(changed, key)
            return cancelled

        self._outbox.post_once(self.purpose, PostOnce(record_posted, record_refused))

    async def call(self, subject: S) -> tuple[str, OutboxMessage]:
        """The (purpose, call) to queue for the request's approval message (in the
        transaction that makes it pending, or by ``queue``)."""
        call = await self._render(subject)
        # The render's metadata (the order's or the lines'), naming the request it is for.
        return self.purpose, OutboxMessage(call.method, {
            **call.args, "metadata": approval_message_metadata(self._key(subject),
                                                               call.args.get("metadata"))})

    async def queue(self, subject: S) -> bool:
        """Queue the approval message of a pending request and send what may go; False if it
        was queued before."""
        queued = await self._enqueue(subject)
        await self._outbox.deliver()
        return queued

    async def deliver(self) -> None:
        await self._outbox.deliver()

    async def repair(self) -> list[S]:
        """Queue the approval message of every pending request that has none and none
        queued, once it has been left alone for a lease; returns them."""
        stale_before = datetime.now(UTC) - timedelta(seconds=self._lease_seconds)
        repaired: list[S] = []
        for subject in await self._store.pending_without_approval_post(self.purpose,
                                                                       stale_before):
            if await self._enqueue(subject):
                log.warning("Request %s was pending without its approval message; queued it",
                            self._key(subject))
                repaired.append(subject)
        if repaired:
            await self._outbox.deliver()
        return repaired

    async def _enqueue(self, subject: S) -> bool:
        purpose, call = await self.call(subject)
        return await self._queue.enqueue_once(self._key(subject), call, purpose)


async def _changed(changed: Callable[[str], Awaitable[None]] | None, key: str) -> None:
    if changed is None:
        return
    try:
        await changed(key)
    except Exception:  # a view refresh must not hold up the queue
        log.warning("Refreshing views after the approval message of %s failed", key,
                    exc_info=True)


def request_approval_posts(repo: RequestRepository, outbox: OutboxSender,
                           render: Callable[[LineRequest], Awaitable[OutboxMessage]], *,
                           lease_seconds: float) -> ApprovalPosts[LineRequest]:
    """A single line's request's approval messages (purpose APPROVAL, kept on the request
    with their link)."""
    return ApprovalPosts(repo, repo, outbox, render, purpose=APPROVAL,
                         key=lambda request: request.id, lease_seconds=lease_seconds)
