"""A background task that runs a round every interval until stopped: the status follower and
the MobProc approvals watcher are each one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from bot.mobproc.limiter import background

log = logging.getLogger(__name__)


class PeriodicTask:
    """Rounds start ``interval`` seconds apart however long the last one took (yet never
    closer than a tenth of one); a failing round is logged and the next one retries. Its
    MobProc calls yield to people's calls. ``stop`` lets the round under way finish within
    a grace period, then cancels it: a subclass's rounds must leave nothing half done that
    the next start cannot resume."""

    name = "periodic task"

    def __init__(self, *, interval: float) -> None:
        self._interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run_round(self) -> None:
        raise NotImplementedError

    def round_done(self, seconds: float, *, ok: bool) -> None:
        """Called after each round (for metrics)."""

    def start(self) -> None:
        with background():  # the task's MobProc calls yield to people's calls
            self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self, grace_seconds: float | None = None) -> None:
        """Let the current round finish (for at most ``grace_seconds``), then stop."""
        self._stop.set()
        if self._task is None:
            return
        done, _ = await asyncio.wait({self._task}, timeout=grace_seconds)
        if not done:
            log.warning("%s round still running after %.0fs; stopped", self.name,
                        grace_seconds or 0)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less if the task is stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)

    async def _run(self) -> None:
        while not self._stop.is_set():
            started, ok = time.perf_counter(), True
            try:
                await self.run_round()
            except Exception:  # keep going; the next round retries
                ok = False
                log.exception("%s round failed", self.name)
            self.round_done(time.perf_counter() - started, ok=ok)
            await self.pause(max(self._interval - (time.perf_counter() - started),
                                 self._interval / 10))
