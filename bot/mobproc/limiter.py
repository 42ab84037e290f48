"""One gate for every MobProc call a process makes.

At most ``MOBPROC_MAX_RPS`` calls start in any second and at most
``MOBPROC_MAX_CONCURRENCY`` are in flight; a person's call waiting for a slot goes before the
follower's background reads; a ``Retry-After`` from MobProc pauses every call of the process.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from enum import IntEnum

from aiolimiter import AsyncLimiter


class Priority(IntEnum):
    INTERACTIVE = 0  # someone in Slack is waiting for the answer
    BACKGROUND = 1  # the follower's and the approval watcher's reads: they can wait


_priority: ContextVar[Priority] = ContextVar("mobproc_priority", default=Priority.INTERACTIVE)


@contextmanager
def background() -> Iterator[None]:
    """MobProc calls made inside (and in tasks started inside) yield to people's calls."""
    token = _priority.set(Priority.BACKGROUND)
    try:
        yield
    finally:
        _priority.reset(token)


class MobProcLimiter:
    def __init__(self, max_rps: float, max_concurrency: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        # A bucket of one that drains at max_rps spaces calls 1/max_rps apart, so no second
        # ever sees more than max_rps (a bucket of max_rps would allow a double burst).
        self._rate = AsyncLimiter(1, 1.0 / max_rps)
        self._free = max_concurrency
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._clock = clock
        self._paused_until = 0.0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._admit(_priority.get())
        try:
            await self._sit_out_pause()
            await self._rate.acquire()
            yield
        finally:
            self._release()

    def pause(self, seconds: float) -> None:
        """MobProc asked for a break (429 with Retry-After): no call starts before it ends."""
        self._paused_until = max(self._paused_until, self._clock() + max(seconds, 0.0))

    @property
    def waiting(self) -> int:
        return sum(1 for *_, f in self._waiters if not f.done())

    async def _sit_out_pause(self) -> None:
        left = self._paused_until - self._clock()
        if left > 0:
            await asyncio.sleep(left)
            await self._sit_out_pause()  # the pause may have been extended meanwhile

    async def _admit(self, priority: Priority) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (int(priority), next(self._order), future)
        heapq.heappush(self._waiters, entry)
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()  # the slot was handed to us as we were cancelled: pass it on
            elif entry in self._waiters:
                self._waiters.remove(entry)
                heapq.heapify(self._waiters)
            raise

    def _release(self) -> None:
        while self._waiters:
            *_, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # the slot passes straight to the first in line
                return
        self._free += 1


__all__ = ["MobProcLimiter", "Priority", "background"]
