"""The "Create line order" message shortcut: the help-desk answer, on any message."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from bot.context import BotContext
from handlers.helpdesk.reply import Answer, answer_message
from handlers.slack.io import tell_user
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import MessageShortcut

CREATE_LINE_ORDER = "create_line_order"


def register(app: AsyncApp, ctx: BotContext) -> None:
    app.shortcut(CREATE_LINE_ORDER)(with_ctx(create_line_order, ctx))


async def create_line_order(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                            client: AsyncWebClient) -> None:
    await ack()
    shortcut = MessageShortcut.from_body(body)
    user_id, channel, message = shortcut.user_id, shortcut.channel_id, shortcut.message
    if not channel or message is None or not message.ts:
        return
    answered = await answer_message(
        ctx, channel=channel, message_ts=message.ts,
        thread_ts=message.thread_ts or message.ts,
        poster_id=message.user or user_id, text=message.text, again=True)
    if answered is Answer.NO_LINE:
        await tell_user(client, user_id=user_id, channel=channel, message=notices.refusal(
            "I couldn't find a line number in that message, so there is no order to "
            "start. Use /suspend-line and the other commands with the number instead."))
    elif answered is Answer.ALREADY:
        await tell_user(client, user_id=user_id, channel=channel, message=notices.refusal(
            "I have already answered that message: the buttons to start its order are "
            "in its thread."))
