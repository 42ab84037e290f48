"""``/line-status <number or order id>``: answered privately."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from blocks.line_status.answer import line_status_message
from bot.context import BotContext
from bot.line_status.service import line_status
from bot.orders.service import OrderRefused
from bot.slack.endpoint import answered
from handlers.slack.io import tell_user
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import SlashCommand

LINE_STATUS_COMMAND = "/line-status"


def register(app: AsyncApp, ctx: BotContext) -> None:
    app.command(LINE_STATUS_COMMAND)(with_ctx(status, ctx))


async def status(ctx: BotContext, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                 context: AsyncBoltContext) -> None:
    command = SlashCommand.from_body(body)
    await ack()  # MobProc may take a moment; the answer follows privately
    await answered(context)
    try:
        found = await line_status(ctx.orders, ctx.repo, command.text)
        message = line_status_message(found, region=ctx.settings.DEFAULT_REGION)
    except OrderRefused as refusal:
        message = notices.refusal(refusal.message)
    await tell_user(client, user_id=command.user_id, channel=command.channel_id,
                    message=message)
