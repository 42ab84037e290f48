"""Bolt middleware naming the Slack user and channel of each request in the log context,
so every line a listener logs (and the tasks it starts) says who and where."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.ops.log_context import begin


async def name_the_request(context: AsyncBoltContext,
                           next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
    # Bolt runs the listener after this returns, in a task that copies the context, so the
    # names are set for the rest of this task rather than for a block. ``begin`` clears what
    # an earlier request on the same connection named; the core adds request and order ids.
    begin(slack_user=context.user_id, slack_channel=context.channel_id)
    return await next()


def register(app: AsyncApp) -> None:
    app.use(name_the_request)
