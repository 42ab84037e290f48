"""Background task: asks MobProc, every MOBPROC_APPROVALS_POLL_SECONDS, what waits for the
approval of each person the bot knows, and hands what it found to the Slack side."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from bot.mobproc.limiter import background
from bot.mobproc_approvals import MobProcApprovals, Round

log = logging.getLogger(__name__)

# A Home opened again within this long is not looked up in MobProc again.
HOME_LOOKUP_SECONDS = 30.0


class ApprovalWatcher:
    def __init__(self, approvals: MobProcApprovals,
                 deliver: Callable[[Round], Awaitable[None]], *, poll_seconds: float) -> None:
        self._approvals = approvals
        self._deliver = deliver
        self._poll_seconds = poll_seconds
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._looked_up: dict[str, float] = {}

    def start(self) -> None:
        with background():  # the rounds' MobProc lookups yield to people's calls
            self._task = asyncio.create_task(self._run(), name="mobproc-approval-watcher")

    async def stop(self, grace_seconds: float | None = None) -> None:
        """Let the current round finish (for at most ``grace_seconds``), then stop. A round
        cut short loses nothing: rows are claimed before their DM and resumed by a lease."""
        self._stop.set()
        if self._task is None:
            return
        done, _ = await asyncio.wait({self._task}, timeout=grace_seconds)
        if not done:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def poll_once(self) -> None:
        async with self._lock:  # one round at a time in this process
            await self._deliver(await self._approvals.round())

    async def look_up(self, user_id: str) -> None:
        """One person, now (they opened their Home), unless they were a moment ago."""
        now = time.monotonic()
        if now - self._looked_up.get(user_id, -HOME_LOOKUP_SECONDS) < HOME_LOOKUP_SECONDS:
            return
        self._looked_up[user_id] = now
        async with self._lock:
            await self._deliver(await self._approvals.look_up(user_id))

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                await self.poll_once()
            except Exception:  # keep watching; the next round retries
                log.exception("MobProc approvals round failed")
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self._poll_seconds)
            except TimeoutError:
                pass
