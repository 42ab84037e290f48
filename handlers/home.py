"""The App Home tab: shown when opened, refreshed when something on it changes."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks import modals, notices
from blocks.home import HOME_NUMBER_CALLBACK, NUMBER_BLOCK, home_view, number_modal
from blocks.ids import HOME_APPROVE_ACTION, HOME_CANCEL_ACTION, HOME_START_ACTION
from bot.context import BotContext
from bot.domain import ORDER_KINDS, LineRequest, RequestState
from bot.mobproc.models import TransactionType
from bot.orders import DecisionOutcome, OrderRefused
from handlers.notify import publish_decision
from handlers.order_modal import fill_order_modal
from handlers.slack_io import slack_error, tell_user

log = logging.getLogger(__name__)


async def publish_home(ctx: BotContext, client: AsyncWebClient, user_id: str) -> None:
    own = await ctx.repo.for_user(user_id)
    waiting: list[LineRequest] | None = None
    if await ctx.orders.approvers.is_approver(user_id):
        waiting = [r for r in await ctx.repo.in_states([RequestState.PENDING])
                   if r.approval_ts and (r.requester_id != user_id
                                         or ctx.settings.ALLOW_SELF_APPROVAL)]
    decided = await ctx.repo.recent_decided()
    view = home_view(own=own, waiting=waiting, decided=decided,
                     region=ctx.settings.DEFAULT_REGION)
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("Could not publish the Home tab of %s: %s", user_id, slack_error(exc))


async def refresh_homes(ctx: BotContext, client: AsyncWebClient,
                        users: Iterable[str | None]) -> None:
    for user_id in dict.fromkeys(u for u in users if u):
        await publish_home(ctx, client, user_id)


def people_of(request: LineRequest) -> list[str | None]:
    return [request.requester_id, request.entered_by, request.decided_by]


def register(app: AsyncApp, ctx: BotContext) -> None:
    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home" and event.get("user"):
            await publish_home(ctx, client, event["user"])

    async def decide(body: dict[str, Any], client: AsyncWebClient, verb: str) -> None:
        user_id = body["user"]["id"]
        request_id = str(body["actions"][0].get("value") or "")
        if verb == "approve":
            decision = await ctx.orders.approve(request_id, user_id)
        else:
            decision = await ctx.orders.cancel(request_id, user_id)
        if decision.outcome is DecisionOutcome.DONE and decision.request is not None:
            await publish_decision(ctx, decision.request)
            await refresh_homes(ctx, client, [user_id, *people_of(decision.request)])
            return
        if decision.outcome is DecisionOutcome.NOT_ALLOWED:
            message = notices.not_allowed(verb, decision.reason or "")
        elif decision.outcome is DecisionOutcome.ALREADY_DECIDED and decision.request:
            message = notices.already_decided(decision.request)
        else:
            message = notices.refusal("I can't find that request; nothing was changed.")
        await tell_user(client, user_id=user_id, channel=None, message=message)
        await publish_home(ctx, client, user_id)

    @app.action(HOME_APPROVE_ACTION)
    async def home_approve(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
                           ) -> None:
        await ack()
        await decide(body, client, "approve")

    @app.action(HOME_CANCEL_ACTION)
    async def home_cancel(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
                          ) -> None:
        await ack()
        await decide(body, client, "cancel")

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
