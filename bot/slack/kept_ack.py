"""Keeps an interaction's ack once it was given, whatever the listener does next.

Bolt runs a listener in a task of its own and looks every 10 ms for its ack. If the
listener fails after acking but before that look, Bolt's runner clears the ack (setting
``ack.response`` to None, meaning "don't answer 500 after an ack") and then finds none: it
answers Slack 404, logs "didn't call ack()", and the person sees Slack's error although
their request was taken. Work after an ack (queueing an approval message, updating a view)
can fail and is retried by the outbox and the follower; the ack must stand.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse


class KeptAck(AsyncAck):
    """``AsyncAck`` whose response, once set, is not cleared again; ``given`` is set then."""

    def __init__(self) -> None:
        self.given = asyncio.Event()
        super().__init__()

    @property  # type: ignore[override]
    def response(self) -> BoltResponse | None:
        return self._kept

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is None and getattr(self, "_kept", None) is not None:
            return  # Bolt clearing an ack already given, after a later failure
        self._kept = value
        if value is not None:
            self.given.set()


async def keep_acks(context: AsyncBoltContext, next: Callable[[], Awaitable[None]]) -> None:
    """Bolt global middleware: every request's ``ack`` is a ``KeptAck``."""
    if "ack" not in context or context.ack.response is None:
        context["ack"] = KeptAck()
    await next()
