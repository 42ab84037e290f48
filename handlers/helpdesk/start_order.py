"""The "Start … order" buttons under a help-desk message."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from blocks.ids import START_ORDER_ACTION
from bot.context import BotContext
from bot.domain import ORDER_KINDS
from bot.helpdesk.service import prefill, ticket_number
from bot.mobproc.models import TransactionType
from handlers.orders.modal import open_order_modal
from handlers.slack.io import tell_user
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import BlockAction


def register(app: AsyncApp, ctx: BotContext) -> None:
    app.action(re.compile(rf"^{START_ORDER_ACTION}_"))(with_ctx(start_order, ctx))


async def start_order(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                      client: AsyncWebClient) -> None:
    await ack()
    click = BlockAction.from_body(body)
    user_id, channel = click.user_id, click.channel_id
    ticket_id, _, type_name = click.value.partition(":")
    ticket = await ctx.helpdesk.ticket(ticket_id)
    if ticket is None or type_name not in TransactionType.__members__:
        await tell_user(client, user_id=user_id, channel=channel, message=notices.refusal(
            "I can't find the help-desk request behind this button; nothing was started."))
        return
    kind = ORDER_KINDS[TransactionType(type_name)]
    number = ticket_number(ticket, ctx.settings.DEFAULT_REGION)
    await open_order_modal(ctx, client, kind=kind, number=number,
                           trigger_id=click.trigger_id or "", user_id=user_id,
                           channel=ticket.channel, requester_id=ticket.poster_id,
                           helpdesk=(ticket.channel, ticket.message_ts),
                           prefill=lambda form: prefill(form, ticket))
