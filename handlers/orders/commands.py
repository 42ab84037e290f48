"""The four slash commands: open the modal at once, then find the line and build the form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from bot.context import BotContext
from bot.domain import ORDER_KINDS
from bot.orders.service import OrderRefused
from bot.slack.endpoint import answered
from handlers.orders.modal import open_order_modal
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import SlashCommand

log = logging.getLogger(__name__)

ORDER_COMMANDS = [kind.command for kind in ORDER_KINDS.values()]
_KINDS = {kind.command: kind for kind in ORDER_KINDS.values()}


def register(app: AsyncApp, ctx: BotContext) -> None:
    for command in ORDER_COMMANDS:
        app.command(command)(with_ctx(order_command, ctx))


async def order_command(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                        client: AsyncWebClient, context: AsyncBoltContext) -> None:
    command = SlashCommand.from_body(body)
    kind = _KINDS[command.command]  # Bolt matched the command: it is one of these
    text = command.text.strip()
    if not text:
        await ack(**notices.usage(kind))
        return
    try:
        number = ctx.orders.parse_number(text)
    except OrderRefused as refusal:
        await ack(**notices.refusal(refusal.message))
        return
    await ack()
    await answered(context)  # under a burst, everyone's ack before anyone's form
    await open_order_modal(ctx, client, kind=kind, number=number,
                           trigger_id=command.trigger_id, user_id=command.user_id,
                           channel=command.channel_id)
