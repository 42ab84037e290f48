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

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[A-Z0-9]+>")


def is_person_top_level(event: dict[str, Any]) -> bool:
    """A new top-level message written by a person: no edits, deletions, bots, threads."""
    return (not event.get("subtype") and not event.get("bot_id") and bool(event.get("user"))
            and (not event.get("thread_ts") or event.get("thread_ts") == event.get("ts")))


def register(app: AsyncApp, ctx: BotContext) -> None:
    channels = set(ctx.settings.HELPDESK_CHANNELS)

    @app.event("message")
    async def helpdesk_message(event: dict[str, Any], context: AsyncBoltContext) -> None:
        if event.get("channel") not in channels or not is_person_top_level(event):
            return
        if context.bot_user_id and f"<@{context.bot_user_id}>" in (event.get("text") or ""):
            return  # a mention of the bot is answered by the app_mention listener, once
        # Queued with the ticket: a redelivery of the event, here or in another replica,
        # finds the ticket and queues nothing more.
        await answer_message(ctx, channel=event["channel"], message_ts=event["ts"],
                             thread_ts=event["ts"], poster_id=event["user"],
                             text=event.get("text") or "")

    @app.event("app_mention")
    async def mention(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("bot_id") or not event.get("user"):
            return
        text = _MENTION.sub(" ", event.get("text") or "")
        thread = event.get("thread_ts") or event["ts"]
        answered = await answer_message(ctx, channel=event["channel"], message_ts=event["ts"],
                                        thread_ts=thread, poster_id=event["user"], text=text)
        if answered is Answer.NO_LINE:
            try:
                await client.chat_postEphemeral(
                    channel=event["channel"], user=event["user"],
                    text="I couldn't find a line number in that message. Mention me with the "
                         "number, e.g. “@mobproc-bot suspend 415-555-0199, phone stolen”.")
            except SlackApiError as exc:
                log.info("Could not tell %s no line was found: %s", event["user"],
                         slack_error(exc))
