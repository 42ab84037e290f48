"""The four slash commands: open the modal at once, then find the line and build the form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from bot.context import BotContext
from bot.domain import ORDER_KINDS, OrderKind
from bot.orders.service import OrderRefused
from bot.slack.endpoint import answered
from handlers.orders.modal import open_order_modal

log = logging.getLogger(__name__)

ORDER_COMMANDS = [kind.command for kind in ORDER_KINDS.values()]


def register(app: AsyncApp, ctx: BotContext) -> None:
    for kind in ORDER_KINDS.values():
        app.command(kind.command)(_handler(kind, ctx))


def _handler(kind: OrderKind, ctx: BotContext) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                     context: AsyncBoltContext) -> None:
        text = (body.get("text") or "").strip()
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
                               trigger_id=body["trigger_id"], user_id=body["user_id"],
                               channel=body.get("channel_id"))

    handle.__name__ = f"command_{kind.verb.replace(' ', '_')}"
    return handle
