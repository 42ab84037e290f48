"""Many "this changed" notes in a short burst become one piece of work per key.

A burst of requests touches the same people's App Homes again and again; publishing each
Home once after the burst shows the same result for a fraction of the calls.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

log = logging.getLogger(__name__)


class Coalescer:
    """Keys marked within ``delay`` seconds of the first are handed to ``flush`` together.

    Keys marked while a flush runs wait for the next one, so each key is flushed at most
    once per burst and never misses a change made after its flush started.
    """

    def __init__(self, flush: Callable[[list[str]], Awaitable[None]], *,
                 delay: float = 0.5) -> None:
        self._flush = flush
        self._delay = delay
        self._dirty: dict[str, None] = {}  # insertion-ordered set
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def mark(self, keys: Iterable[str | None]) -> None:
        for key in keys:
            if key:
                self._dirty[key] = None
        if self._dirty and self._task is None and not self._closed:
            self._task = asyncio.create_task(self._run(), name="coalescer")

    async def _run(self) -> None:
        try:
            while self._dirty:
                await asyncio.sleep(self._delay)
                batch, self._dirty = list(self._dirty), {}
                try:
                    await self._flush(batch)
                except Exception:  # one failed round must not stop later ones
                    log.exception("Coalesced work for %d keys failed", len(batch))
        finally:
            self._task = None

    async def close(self) -> None:
        """Finish what is marked now, then accept no more (at shutdown)."""
        self._closed = True
        if self._task is not None:
            await self._task
        elif self._dirty:
            batch, self._dirty = list(self._dirty), {}
            await self._flush(batch)
