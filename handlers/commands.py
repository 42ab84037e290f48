"""The four slash commands: open the modal at once, then find the line and build the form."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks import modals, notices
from bot.context import BotContext
from bot.domain import ORDER_KINDS, OrderKind
from bot.orders import OrderRefused
from handlers.slack_io import requester_profile, slack_error, tell_user

log = logging.getLogger(__name__)


COMMANDS = [kind.command for kind in ORDER_KINDS.values()]


def register(app: AsyncApp, ctx: BotContext) -> None:
    for kind in ORDER_KINDS.values():
        app.command(kind.command)(_handler(kind, ctx))


def _handler(kind: OrderKind, ctx: BotContext) -> Any:
    async def handle(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
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
        user_id = body["user_id"]
        channel = body.get("channel_id")
        # Slack's trigger_id lasts 3 s: open a loading view first, fill it in after.
        try:
            opened = await client.views_open(trigger_id=body["trigger_id"],
                                             view=modals.loading_view(kind))
        except SlackApiError as exc:
            log.info("views.open failed: %s", slack_error(exc))
            await tell_user(client, user_id=user_id, channel=channel, message=notices.refusal(
                "Slack took too long to open the form. Please try again."))
            return
        view_id = opened["view"]["id"]
        requester = await requester_profile(client, user_id)
        try:
            if not requester.email:
                raise OrderRefused(
                    "Your Slack profile has no e-mail address, and MobProc needs it to place "
                    "orders for you. Please add one to your profile, or ask an admin.")
            form = await ctx.orders.open_form(kind, number, requester, channel)
            view = modals.order_form_view(form, region=ctx.settings.DEFAULT_REGION)
        except OrderRefused as refusal:
            view = modals.error_view(kind, refusal.message)
        try:
            await client.views_update(view_id=view_id, view=view)
        except SlackApiError as exc:
            log.warning("views.update failed: %s", slack_error(exc))
            await tell_user(client, user_id=user_id, channel=channel, message=notices.refusal(
                "Something went wrong showing the form. Please run the command again."))

    handle.__name__ = f"command_{kind.verb.replace(' ', '_')}"
    return handle
