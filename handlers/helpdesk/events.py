"""Messages in help-desk channels, and mentions of the bot anywhere."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.context import BotContext
from handlers.helpdesk.reply import Answer, answer_message
from handlers.slack.io import slack_error
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import MessageEvent

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[A-Z0-9]+>")


def is_person_top_level(event: MessageEvent) -> bool:
    """A new top-level message written by a person: no edits, deletions, bots, threads."""
    return (not event.subtype and not event.bot_id and bool(event.user)
            and (not event.thread_ts or event.thread_ts == event.ts))


def register(app: AsyncApp, ctx: BotContext) -> None:
    app.event("message")(with_ctx(helpdesk_message, ctx))
    app.event("app_mention")(with_ctx(mention, ctx))


async def helpdesk_message(ctx: BotContext, event: dict[str, Any],
                           context: AsyncBoltContext) -> None:
    message = MessageEvent.from_body(event)
    if message.channel not in ctx.settings.HELPDESK_CHANNELS or \
            not is_person_top_level(message):
        return
    if context.bot_user_id and f"<@{context.bot_user_id}>" in message.text:
        return  # a mention of the bot is answered by the app_mention listener, once
    assert message.channel and message.ts and message.user  # a person's top-level message
    # Queued with the ticket: a redelivery of the event, here or in another replica,
    # finds the ticket and queues nothing more.
    await answer_message(ctx, channel=message.channel, message_ts=message.ts,
                         thread_ts=message.ts, poster_id=message.user, text=message.text)


async def mention(ctx: BotContext, event: dict[str, Any], client: AsyncWebClient) -> None:
    message = MessageEvent.from_body(event)
    if message.bot_id or not message.user:
        return
    assert message.channel and message.ts  # Slack's app_mention always has both
    text = _MENTION.sub(" ", message.text)
    thread = message.thread_ts or message.ts
    answered = await answer_message(ctx, channel=message.channel, message_ts=message.ts,
                                    thread_ts=thread, poster_id=message.user, text=text)
    if answered is Answer.NO_LINE:
        try:
            await client.chat_postEphemeral(
                channel=message.channel, user=message.user,
                text="I couldn't find a line number in that message. Mention me with the "
                     "number, e.g. “@mobproc-bot suspend 415-555-0199, phone stolen”.")
        except SlackApiError as exc:
            log.info("Could not tell %s no line was found: %s", message.user,
                     slack_error(exc))
