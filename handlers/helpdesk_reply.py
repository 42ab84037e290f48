"""Answering a message that names a line: in help-desk channels, on a mention, by shortcut."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks import helpdesk
from bot.context import BotContext
from handlers.slack_io import slack_error

log = logging.getLogger(__name__)


async def answer_message(ctx: BotContext, client: AsyncWebClient, *, channel: str,
                         message_ts: str, thread_ts: str, poster_id: str, text: str,
                         once: bool = False) -> bool:
    """Reply in the message's thread with what the bot understood; False if it named no
    line (then nothing is posted). ``once``: not again for a message already answered."""
    found = await ctx.helpdesk.understand(channel=channel, message_ts=message_ts,
                                          poster_id=poster_id, text=text)
    if found is None:
        return False
    if once and not found.first_time:
        return True
    message = helpdesk.understood_message(found, region=ctx.settings.DEFAULT_REGION)
    try:
        await client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message)
    except SlackApiError as exc:
        log.warning("Could not answer help-desk message in %s: %s", channel, slack_error(exc))
        raise
    return True
