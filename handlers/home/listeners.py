"""App Home listeners: the tab opened and its Start buttons (its Approve and Cancel are
``handlers.approval.buttons``'s, as on the approval message)."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from blocks.home.tab import HOME_NUMBER_CALLBACK, NUMBER_BLOCK, number_modal
from blocks.ids import HOME_START_ACTION
from blocks.orders import modals
from bot.context import BotContext
from bot.domain import ORDER_KINDS
from bot.mobproc.models import TransactionType
from bot.orders.service import OrderRefused
from handlers.home.tab import home_opened as show_home
from handlers.mobproc_approvals.listeners import look_up_on_home_open
from handlers.orders.modal import fill_order_modal
from handlers.slack.io import slack_error, tell_user
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import BlockAction, HomeOpened, ViewSubmission

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: BotContext) -> None:
    app.event("app_home_opened")(with_ctx(home_opened, ctx))
    app.action(re.compile(rf"^{HOME_START_ACTION}_"))(with_ctx(home_start, ctx))
    app.view(HOME_NUMBER_CALLBACK)(with_ctx(number_given, ctx))


async def home_opened(ctx: BotContext, event: dict[str, Any], client: AsyncWebClient) -> None:
    opened = HomeOpened.from_body(event)
    if opened.tab == "home" and opened.user:
        await look_up_on_home_open(ctx, opened.user)
        await show_home(ctx, client, opened.user)


async def home_start(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                     client: AsyncWebClient) -> None:
    await ack()
    click = BlockAction.from_body(body)
    if click.value not in TransactionType.__members__:
        return
    try:
        await client.views_open(trigger_id=click.trigger_id or "",
                                view=number_modal(click.value))
    except SlackApiError as exc:
        await tell_user(client, user_id=click.user_id, channel=None,
                        message=notices.refusal(f"Slack could not open the form "
                                                f"({slack_error(exc)}). Please try again."))


async def number_given(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                       client: AsyncWebClient) -> None:
    submission = ViewSubmission.from_body(body)
    kind_value = submission.view.private_metadata
    if kind_value not in TransactionType.__members__:
        await ack()
        return
    kind = ORDER_KINDS[TransactionType(kind_value)]
    try:
        number = ctx.orders.parse_number(submission.view.text(NUMBER_BLOCK))
    except OrderRefused as refusal:
        await ack(response_action="errors", errors={NUMBER_BLOCK: refusal.message})
        return
    # The same modal becomes the order form: loading now, the form once MobProc answers.
    await ack(response_action="update", view=modals.loading_view(kind))
    await fill_order_modal(ctx, client, view_id=submission.view.id, kind=kind, number=number,
                           user_id=submission.user_id, channel=None)
