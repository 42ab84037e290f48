"""Waiting for a side effect by polling for it: the demo's and the tests' one way to wait."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

POLL_SECONDS = 0.02


async def eventually(probe: Callable[[], Awaitable[T | None] | T | None],
                     within: float = 10.0) -> T:
    """Poll ``probe`` (plain or async) until it returns something truthy, and return it;
    raise AssertionError after ``within`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = probe()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within}s")
        await asyncio.sleep(POLL_SECONDS)
