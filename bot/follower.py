"""Background task: follows placed orders and reports each status change once, in order.

Each round finishes interrupted submissions, expires stale approvals, reads the status of
every placed order, and queues one Slack reply per change in the same transaction that
records the change; the outbox then sends what is queued. A change seen while Slack fails,
or just before a restart, goes out on a later round: once, and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from bot.domain import LineRequest, MobProcDecision, RequestState, StatusChange
from bot.log_context import log_context
from bot.metrics import BotMetrics
from bot.mobproc import assumed
from bot.mobproc.client import MobProcClient
from bot.mobproc.errors import MobProcError
from bot.mobproc.limiter import background
from bot.mobproc.models import Order
from bot.orders import OrderService
from bot.outbox import OutboxSender
from bot.storage.repository import OutboxMessage, RequestRepository

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


class StatusFollower:
    def __init__(self, orders: OrderService, mobproc: MobProcClient, repo: RequestRepository,
                 outbox: OutboxSender, render: Renderers, *, poll_seconds: float,
                 on_changed: Callable[[LineRequest], Awaitable[None]] | None = None,
                 metrics: BotMetrics | None = None,
                 repair: Callable[[], Awaitable[object]] | None = None,
                 after_changes: Callable[[], Awaitable[None]] | None = None) -> None:
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
        self._poll_seconds = poll_seconds
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def start(self) -> None:
        with background():  # the task's MobProc reads yield to people's calls
            self._task = asyncio.create_task(self._run(), name="status-follower")

    async def stop(self, grace_seconds: float | None = None) -> None:
        """Let the current round finish (for at most ``grace_seconds``), then stop. A round
        cut short loses nothing: what it had not recorded is redone on the next start."""
        self._stop.set()
        if self._task is None:
            return
        done, _ = await asyncio.wait({self._task}, timeout=grace_seconds)
        if not done:
            log.warning("Status follower round still running after %.0fs; stopped", grace_seconds)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stop.is_set():
            started, ok = time.perf_counter(), True
            try:
                with log_context(request_id=None, order_id=None):
                    await self.poll_once()
            except Exception:  # keep following; the next round retries
                ok = False
                log.exception("Status follower round failed")
            if self._metrics is not None:
                self._metrics.follower_round(time.perf_counter() - started, ok=ok)
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self._poll_seconds)
            except TimeoutError:
                pass

    async def poll_once(self) -> None:
        async with self._lock:
            changed: dict[str, LineRequest] = {}
            for request in await self._orders.submission.resume():
                await self._repo.enqueue(request.outbox_key, self._render.decision(request))
                changed[request.id] = request
            pending = await self._orders.pending()
            for request in await self._orders.expire_pending(pending):
                await self._repo.enqueue(request.outbox_key, self._render.expiry(request))
                changed[request.id] = request
            for request in await self._orders.due_reminders(pending):
                await self._repo.enqueue(request.outbox_key, self._render.reminder(request))
            for request in await self._repo.in_states([RequestState.SUBMITTED]):
                with log_context(request_id=request.id, order_id=request.order_id):
                    await self._check(request)
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

    async def _check(self, request: LineRequest) -> None:
        assert request.order_id is not None
        try:
            order = await self._mobproc.get_order(request.order_id)
        except MobProcError as exc:
            log.warning("Could not read order %s: %s", request.order_id, exc.message)
            return
        decided = assumed.approval_of(order)
        if decided is not None and (request.mobproc_decision is None
                                    or request.mobproc_decision.by_name is None):
            # Stored before the change is queued, so its reply can say who decided.
            await self._repo.note_mobproc_decision(request.id, MobProcDecision(
                action=decided.action, reason=decided.reason,
                by_name=decided.decidedBy.display_name if decided.decidedBy else None))
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
        if events or segments != known or final:
            await self._repo.record_statuses(request.id, order_status=order.status,
                                             segment_statuses=segments, events=events,
                                             final=final)
            if final and self._metrics is not None:
                self._metrics.completed(request.transaction_type.value, order.status,
                                        request.decided_at, self._orders.clock())

    async def _path(self, order: Order, old: str | None) -> list[str]:
        """Every status from ``old`` to the current one, including any reached and left
        between two polls (read from the order's history); just the current one when the
        history can't tell."""
        if not order.segments:
            return [order.status]
        try:
            history = await self._mobproc.get_history(order.orderId,
                                                      order.segments[0].orderSegmentId)
        except MobProcError:
            return [order.status]
        seen = [h.status for h in history]
        if old not in seen or order.status not in seen:
            return [order.status]
        start, end = seen.index(old), len(seen) - 1 - seen[::-1].index(order.status)
        path = seen[start + 1:end + 1]
        return [s for i, s in enumerate(path) if i == 0 or s != path[i - 1]] or [order.status]

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
