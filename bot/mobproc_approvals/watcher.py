"""Background task: asks MobProc, every MOBPROC_APPROVALS_POLL_SECONDS, what waits for the
approval of each person the bot knows whose turn it is (``bot/mobproc_approvals/lookups.py``), and
hands what it found to the Slack side."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from bot.jobs.periodic import PeriodicTask
from bot.mobproc_approvals.service import MobProcApprovals, Round

# A Home opened again within this long is not looked up in MobProc again.
HOME_LOOKUP_SECONDS = 30.0


class ApprovalWatcher(PeriodicTask):
    """A round cut short by ``stop`` loses nothing: each DM and DM update is queued in the
    outbox with the row's change, and sent by whichever process's outbox gets to it."""

    name = "MobProc approvals"

    def __init__(self, approvals: MobProcApprovals,
                 deliver: Callable[[Round], Awaitable[None]], *, poll_seconds: float) -> None:
        super().__init__(interval=poll_seconds)
        self._approvals = approvals
        self._deliver = deliver
        self._lock = asyncio.Lock()
        self._looked_up: dict[str, float] = {}

    async def run_round(self) -> None:
        await self.poll_once()

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
