"""Background task: follows placed orders and reports each status change once, in order,
with any number of replicas on one database.

Each round finishes interrupted submissions, expires stale approvals and sends due reminders
(each a conditional update that queues its Slack calls in the same transaction), then looks
for status changes. Once per interval one replica asks MobProc for the orders updated since
the last round (``GET /orders?dateTimeUpdated=…``, paged, with a safety overlap); where the
tenant refuses that filter, open orders are read one by one, spread over the interval and
leased so each is read by one replica. A change is recorded only if nobody recorded one since
it was read, with its replies queued alongside, and the outbox is woken at once: news goes
out as each change is seen, not at the end of a round.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.domain import LineRequest, MobProcDecision, RequestState, StatusChange
from bot.effects.outbox import OutboxSender
from bot.jobs.periodic import PeriodicTask
from bot.mobproc import assumed
from bot.mobproc.client import MobProcClient
from bot.mobproc.errors import MobProcError, MobProcNotFound, MobProcRefused
from bot.mobproc.models import Order
from bot.ops.log_context import log_context
from bot.ops.metrics import BotMetrics
from bot.orders.service import OrderService
from bot.storage.follow_store import CursorLease, FollowStore, NewStatus
from bot.storage.outbox_queue import OutboxMessage
from bot.storage.requests import RequestRepository

log = logging.getLogger(__name__)


class Renderers:
    """How each kind of news becomes Slack calls (the handlers render with blocks/)."""

    def __init__(self, *, decision: Callable[[LineRequest], list[OutboxMessage]],
                 status: Callable[[StatusChange], list[OutboxMessage]],
                 expiry: Callable[[LineRequest], list[OutboxMessage]],
                 reminder: Callable[[LineRequest], list[OutboxMessage]]) -> None:
        self.decision = decision
        self.status = status
        self.expiry = expiry
        self.reminder = reminder


# The incremental query reaches this far behind the newest change already seen, so a change
# MobProc makes visible a little late (or stamps a second early) is not missed.
SAFETY_OVERLAP = timedelta(seconds=30)
# Leases last most of an interval: a replica's next round, an interval after its last one,
# finds its own lease lapsed, yet no two queries run less than this share of one apart.
LEASE_SHARE = 0.9
# How far past the bots' own clock the cursor may go on MobProc's timestamps.
CURSOR_AHEAD_LIMIT = timedelta(minutes=5)
# The per-order fallback leases open orders in about this many batches per interval.
FALLBACK_BATCHES_PER_INTERVAL = 20
# After a tenant refused the filter, it is tried again this often (the tenant may enable it).
FILTER_RETRY_SECONDS = 3600.0


class StatusFollower(PeriodicTask):
    def __init__(self, orders: OrderService, mobproc: MobProcClient, repo: RequestRepository,
                 outbox: OutboxSender, render: Renderers, *, poll_seconds: float,
                 store: FollowStore, batch_size: int = 8,
                 on_changed: Callable[[LineRequest], Awaitable[None]] | None = None,
                 metrics: BotMetrics | None = None,
                 repair: Callable[[], Awaitable[object]] | None = None,
                 after_changes: Callable[[], Awaitable[None]] | None = None) -> None:
        super().__init__(interval=poll_seconds)
        self._metrics = metrics
        # Each round first re-queues approval messages a crash left unposted.
        self._repair = repair
        self._on_changed = on_changed
        # Runs after each round's changes are queued and before they are sent, so news that
        # sums them up (a leaver's final summary) is queued after them.
        self._after_changes = after_changes
        self._orders = orders
        self._mobproc = mobproc
        self._repo = repo
        self._outbox = outbox
        self._render = render
        self._store = store
        self._batch = max(batch_size, 1)
        self._poll_seconds = poll_seconds
        self._deliver_now = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        # Only what this process learnt of MobProc; another replica learns it for itself.
        self._filter_refused_at: float | None = None

    name = "Status follower"

    def start(self) -> None:
        super().start()
        self._pump = asyncio.create_task(self._pump_outbox(), name="status-news")

    async def stop(self, grace_seconds: float | None = None) -> None:
        """Let the current round finish (for at most ``grace_seconds``), then stop. A round
        cut short loses nothing: what it had not recorded is redone on the next start."""
        await super().stop(grace_seconds)
        self._deliver_now.set()
        if self._pump is not None:
            await self._pump

    @property
    def incremental(self) -> bool:
        """Whether changes are found with the dateTimeUpdated query (else order by order)."""
        return (self._filter_refused_at is None
                or time.monotonic() - self._filter_refused_at > FILTER_RETRY_SECONDS)

    async def run_round(self) -> None:
        with log_context(request_id=None, order_id=None):
            await self.poll_once()

    def round_done(self, seconds: float, *, ok: bool) -> None:
        if self._metrics is not None:
            self._metrics.follower_round(seconds, ok=ok)

    async def _pump_outbox(self) -> None:
        """Sends queued news as soon as a change is recorded, while the round reads on."""
        while not self._stop.is_set():
            await self._deliver_now.wait()
            self._deliver_now.clear()
            try:
                await self._outbox.deliver()
            except Exception:  # the round's own delivery, or the next one, tries again
                log.warning("Sending queued Slack calls failed", exc_info=True)

    async def poll_once(self) -> None:
        async with self._lock:
            changed: dict[str, LineRequest] = {}
            # Each resumed submission's news is queued with the move that records it.
            for request in await self._orders.submission.resume(self._render.decision):
                changed[request.id] = request
            pending = await self._orders.pending()
            for request in await self._orders.expire_pending(pending, self._render.expiry):
                changed[request.id] = request
            await self._orders.due_reminders(pending, self._render.reminder)
            self._deliver_now.set()
            await self._follow(changed)
            changed.update(await self._queue_changes())
            if self._repair is not None:
                await self._repair()
            if self._after_changes is not None:
                await self._after_changes()
            await self._outbox.deliver()
            if self._on_changed is not None:
                for request in changed.values():
                    try:
                        await self._on_changed(request)
                    except Exception:  # a view refresh must not stop the follower
                        log.warning("Refreshing views for %s failed", request.id,
                                    exc_info=True)

    # --- finding changes --------------------------------------------------------------

    async def _follow(self, changed: dict[str, LineRequest]) -> None:
        if not await self._store.count_open():
            return
        if self.incremental:
            lease = await self._store.lease_cursor(self._poll_seconds * LEASE_SHARE)
            if lease is None:
                return  # another replica runs this interval's query
            try:
                await self._follow_updates(lease, changed)
                return
            except (MobProcRefused, MobProcNotFound) as exc:
                self._filter_refused_at = time.monotonic()
                log.warning("MobProc refused GET /orders?%s (%s); reading open orders one by "
                            "one instead, spread over each interval",
                            assumed.UPDATED_SINCE_FILTER, exc.message)
            except MobProcError as exc:
                log.warning("Could not read updated orders: %s", exc.message)
                return
        await self._follow_each(changed)

    async def _follow_updates(self, lease: CursorLease, changed: dict[str, LineRequest]) -> None:
        """One query for every order updated since the last round, a page at a time."""
        since = lease.updated_since or await self._store.oldest_open()
        if since is None:
            return
        newest = lease.updated_since
        async for page in self._mobproc.orders_updated_since(since - SAFETY_OVERLAP):
            ours = await self._store.open_by_order_ids([o.orderId for o in page])
            for order in page:
                if order.updated is not None and (newest is None or order.updated > newest):
                    newest = order.updated
                request = ours.get(order.orderId)
                if request is not None:
                    with log_context(request_id=request.id, order_id=order.orderId):
                        await self._apply(request, order, changed)
        if newest is not None:
            # An order stamped in the future (a skewed clock) must not carry the cursor past
            # changes still to come: an earlier cursor only re-reads more.
            newest = min(newest, datetime.now(UTC) + CURSOR_AHEAD_LIMIT)
            await self._store.advance_cursor(newest)

    async def _follow_each(self, changed: dict[str, LineRequest]) -> None:
        """Read open orders no replica read this interval, a batch at a time, paced so the
        reads spread evenly over the interval (the limiter paces them further)."""
        open_orders = max(await self._store.count_open(), 1)
        spacing = self._poll_seconds / open_orders
        # Small batches keep the reads even; at most a limiter's worth in flight.
        size = min(self._batch, math.ceil(open_orders / FALLBACK_BATCHES_PER_INTERVAL))
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            started = loop.time()
            batch = await self._store.lease_due(size, self._poll_seconds * LEASE_SHARE)
            if not batch:
                return
            await asyncio.gather(*(self._check(r, changed) for r in batch))
            pause = len(batch) * spacing - (loop.time() - started)
            if pause > 0:
                await self.pause(pause)

    async def _check(self, request: LineRequest, changed: dict[str, LineRequest]) -> None:
        assert request.order_id is not None
        with log_context(request_id=request.id, order_id=request.order_id):
            try:
                order = await self._mobproc.get_order(request.order_id)
            except MobProcError as exc:
                log.warning("Could not read order %s: %s", request.order_id, exc.message)
                return
            await self._apply(request, order, changed)

    async def _apply(self, request: LineRequest, order: Order,
                     changed: dict[str, LineRequest]) -> None:
        """Record what changed since ``request`` was read and queue its news, unless another
        replica recorded something first (it then tells it)."""
        decided = assumed.approval_of(order)
        if decided is not None and (request.mobproc_decision is None
                                    or request.mobproc_decision.by_name is None):
            # Stored before the change is queued, so its reply can say who decided.
            await self._repo.note_mobproc_decision(request.id, MobProcDecision(
                action=decided.action, reason=decided.reason,
                by_name=decided.decidedBy.display_name if decided.decidedBy else None))
            request = await self._repo.get(request.id) or request
        known = request.segment_statuses
        events: list[tuple[str, str | None, str, str | None]] = []
        if order.status != request.order_status:
            previous = request.order_status
            for status in await self._path(order, previous):
                events.append(("order", previous, status, None))
                previous = status
        segments: dict[str, str] = {}
        for segment in order.segments:
            status = segment.status or ""
            segments[segment.orderSegmentId] = status
            old = known.get(segment.orderSegmentId)
            # A lone segment moving with its order says nothing new: report the order only.
            same_as_order = len(order.segments) == 1 and status == order.status
            if status and status != old and not same_as_order:
                vendor = segment.vendor.name if segment.vendor else None
                events.append((f"segment {segment.orderSegmentId}", old, status, vendor))
        final = assumed.is_final_status(order.status)
        if not (events or segments != known or final):
            return
        after = request.model_copy(update={
            "order_status": order.status, "segment_statuses": segments,
            "state": RequestState.COMPLETED if final else request.state})
        seen_at = datetime.now(UTC)
        changes = [NewStatus(subject, old, new, vendor, self._render.status(StatusChange(
            request=after, subject=subject, old_status=old, new_status=new, vendor=vendor,
            final=subject == "order" and assumed.is_final_status(new), seen_at=seen_at)))
            for subject, old, new, vendor in events]
        if await self._store.record_change(request, order_status=order.status,
                                           segment_statuses=segments, changes=changes,
                                           final=final) and changes:
            log.info("Order %s: %s", order.orderId,
                     "; ".join(f"{subject} {old} -> {new}" for subject, old, new, _ in events))
            changed[request.id] = after
            self._deliver_now.set()
            if final and self._metrics is not None:
                self._metrics.completed(request.transaction_type.value, order.status,
                                        request.decided_at, self._orders.clock())

    async def _path(self, order: Order, old: str | None) -> list[str]:
        """Every status from ``old`` to the current one, including any reached and left
        between two polls (read from the order's history); just the current one when the
        history can't tell."""
        if not order.segments:
            return [order.status]
        carried = order.history() if isinstance(order, assumed.FollowedOrder) else None
        if carried is not None:
            return _between(carried, old, order.status)
        try:
            history = await self._mobproc.get_history(order.orderId,
                                                      order.segments[0].orderSegmentId)
        except MobProcError:
            return [order.status]
        return _between(history, old, order.status)

    async def _queue_changes(self) -> dict[str, LineRequest]:
        changed: dict[str, LineRequest] = {}
        for event_id, request, event in await self._repo.unposted_events():
            changed[request.id] = request
            change = StatusChange(
                request=request, subject=event.subject, old_status=event.old_status,
                new_status=event.new_status, vendor=event.vendor,
                final=event.subject == "order" and assumed.is_final_status(event.new_status),
                seen_at=event.seen_at or datetime.now(UTC),
            )
            await self._repo.enqueue(request.outbox_key, self._render.status(change),
                                     event_id=event_id)
        return changed


def _between(history: list[assumed.HistoryEntry], old: str | None, now: str) -> list[str]:
    seen = [h.status for h in history]
    if old not in seen or now not in seen:
        return [now]
    start, end = seen.index(old), len(seen) - 1 - seen[::-1].index(now)
    path = seen[start + 1:end + 1]
    return [s for i, s in enumerate(path) if i == 0 or s != path[i - 1]] or [now]
