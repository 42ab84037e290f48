"""App Home listeners: the tab opened, its Approve/Cancel and Start buttons."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from blocks.home.tab import HOME_NUMBER_CALLBACK, NUMBER_BLOCK, number_modal
from blocks.ids import (
    HOME_APPROVE_ACTION,
    HOME_CANCEL_ACTION,
    HOME_OFFBOARD_APPROVE_ACTION,
    HOME_OFFBOARD_CANCEL_ACTION,
    HOME_START_ACTION,
)
from blocks.orders import modals
from bot.context import BotContext
from bot.domain import ORDER_KINDS
from bot.mobproc.models import TransactionType
from bot.orders.service import OrderRefused
from handlers.approval.decisions import decide, publish_or_explain
from handlers.home.tab import home_opened as show_home
from handlers.home.tab import publish_home
from handlers.mobproc_approvals.listeners import look_up_on_home_open
from handlers.offboarding.decisions import decide_from_home as decide_bundle_from_home
from handlers.orders.modal import fill_order_modal
from handlers.slack.io import slack_error, tell_user

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: BotContext) -> None:
    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            await look_up_on_home_open(ctx, event["user"])
            await show_home(ctx, client, event["user"])

    async def decide_from_home(body: dict[str, Any], client: AsyncWebClient, verb: str
                               ) -> None:
        user_id = body["user"]["id"]
        request_id = str(body["actions"][0].get("value") or "")
        decision = await decide(ctx, request_id, user_id, verb)
        message = await publish_or_explain(ctx, client, decision, user_id, verb)
        if message is not None:
            await tell_user(client, user_id=user_id, channel=None, message=message)
            await publish_home(ctx, client, user_id)

    @app.action(HOME_APPROVE_ACTION)
    async def home_approve(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
                           ) -> None:
        await ack()
        await decide_from_home(body, client, "approve")

    @app.action(HOME_CANCEL_ACTION)
    async def home_cancel(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
                          ) -> None:
        await ack()
        await decide_from_home(body, client, "cancel")

    # A leaver's request waiting for the approver: decided as from its approval message.
    @app.action(HOME_OFFBOARD_APPROVE_ACTION)
    async def home_approve_offboarding(ack: AsyncAck, body: dict[str, Any],
                                       client: AsyncWebClient) -> None:
        await ack()
        await decide_bundle_from_home(ctx, client, body, "approve")

    @app.action(HOME_OFFBOARD_CANCEL_ACTION)
    async def home_cancel_offboarding(ack: AsyncAck, body: dict[str, Any],
                                      client: AsyncWebClient) -> None:
        await ack()
        await decide_bundle_from_home(ctx, client, body, "cancel")

    @app.action(re.compile(rf"^{HOME_START_ACTION}_"))
    async def home_start(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        value = str(body["actions"][0].get("value") or "")
        if value not in TransactionType.__members__:
            return
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=number_modal(value))
        except SlackApiError as exc:
            await tell_user(client, user_id=body["user"]["id"], channel=None,
                            message=notices.refusal(f"Slack could not open the form "
                                                    f"({slack_error(exc)}). Please try again."))

    @app.view(HOME_NUMBER_CALLBACK)
    async def number_given(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
                           ) -> None:
        view = body["view"]
        kind_value = view.get("private_metadata") or ""
        if kind_value not in TransactionType.__members__:
            await ack()
            return
        kind = ORDER_KINDS[TransactionType(kind_value)]
        state = (view.get("state") or {}).get("values") or {}
        text = ((state.get(NUMBER_BLOCK) or {}).get("value") or {}).get("value") or ""
        try:
            number = ctx.orders.parse_number(text)
        except OrderRefused as refusal:
            await ack(response_action="errors", errors={NUMBER_BLOCK: refusal.message})
            return
        # The same modal becomes the order form: loading now, the form once MobProc answers.
        await ack(response_action="update", view=modals.loading_view(kind))
        await fill_order_modal(ctx, client, view_id=view["id"], kind=kind, number=number,
                               user_id=body["user"]["id"], channel=None)
