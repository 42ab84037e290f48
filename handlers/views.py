"""The order modal's submission: validate, confirm with MobProc, post for approval."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks import approval, helpdesk, modals, notices
from blocks.ids import ORDER_FORM_CALLBACK
from bot.context import BotContext
from bot.domain import FormInput, LineRequest, OrderKind
from bot.mobproc.models import TransactionType
from bot.orders import ConfirmResult
from bot.storage.repository import OutboxMessage
from handlers.home_tab import refresh_homes_showing
from handlers.slack_io import slack_error, tell_user
from handlers.view_state import block_errors, form_input

log = logging.getLogger(__name__)

# Slack waits 3 s for the answer to a view submission; keep room for the reply itself.
CONFIRM_BUDGET_SECONDS = 2.5
SLOW = ("MobProc is slow to answer right now, so nothing was sent for approval. "
        "Your answers are kept: press the button again in a moment.")
# Title for a form whose stored request is gone (e.g. a forged private_metadata).
UNKNOWN_ORDER = OrderKind(TransactionType.SUSPEND, "", "Line order", "order", "order", "ordered")


def register(app: AsyncApp, ctx: BotContext) -> None:
    @app.view(ORDER_FORM_CALLBACK)
    async def submit_order_form(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient
                                ) -> None:
        view = body["view"]
        request_id = view.get("private_metadata") or ""
        user_id = body["user"]["id"]
        entered = form_input((view.get("state") or {}).get("values") or {})
        try:
            result = await asyncio.wait_for(ctx.orders.confirm(request_id, entered, user_id),
                                            timeout=CONFIRM_BUDGET_SECONDS)
        except TimeoutError:
            result = ConfirmResult(refusal=SLOW)
        if result.errors:
            await ack(response_action="errors", errors=block_errors(result.errors))
            return
        if result.refusal or result.request is None:
            await ack(response_action="update",
                      view=await _form_again(ctx, request_id, entered, result.refusal))
            return
        await ack()
        if result.confirmed_now:
            await post_for_approval(ctx, client, result.request)


async def _form_again(ctx: BotContext, request_id: str, entered: FormInput,
                      refusal: str | None) -> dict[str, Any]:
    form = await ctx.orders.form(request_id)
    message = refusal or "Something went wrong; please try again."
    if form is None:
        return modals.error_view(UNKNOWN_ORDER, message)
    return modals.order_form_view(form, entered=entered, error=message,
                                  region=ctx.settings.DEFAULT_REGION)


async def post_for_approval(ctx: BotContext, client: AsyncWebClient,
                            request: LineRequest) -> None:
    channel = ctx.settings.APPROVAL_CHANNEL or request.origin_channel or request.requester_id
    message = approval.approval_message(request, region=ctx.settings.DEFAULT_REGION,
                                        warnings=await ctx.orders.warnings(request))
    try:
        posted = await client.chat_postMessage(channel=channel, **message)
    except SlackApiError as exc:
        log.warning("Could not post approval request %s in %s: %s", request.id, channel,
                    slack_error(exc))
        # Cancel first: when the requester reads "nothing was ordered", it is already so.
        await ctx.orders.cancel(request.id, request.requester_id)
        await tell_user(client, user_id=request.requester_id, channel=request.origin_channel,
                        message=notices.refusal(
                            "I couldn't post your request for approval in this channel "
                            f"({slack_error(exc)}). Invite me with `/invite @mobproc-bot` or "
                            "ask an admin to set APPROVAL_CHANNEL; nothing was ordered."))
        return
    await ctx.orders.attach_approval_message(request.id, posted["channel"], posted["ts"])
    permalink: str | None = None
    try:
        answer = await client.chat_getPermalink(channel=posted["channel"],
                                                message_ts=posted["ts"])
        permalink = answer.get("permalink")
    except SlackApiError as exc:
        log.info("chat.getPermalink failed: %s", slack_error(exc))
    if permalink:
        await ctx.repo.update_fields(request.id, approval_permalink=permalink)
    refreshed = await ctx.repo.get(request.id) or request
    if refreshed.helpdesk_channel and refreshed.helpdesk_ts:
        # The person who asked in the help desk follows the order in their own thread.
        await ctx.repo.enqueue(request.id, [OutboxMessage("chat.postMessage", {
            "channel": refreshed.helpdesk_channel, "thread_ts": refreshed.helpdesk_ts,
            **helpdesk.waiting_summary(refreshed, region=ctx.settings.DEFAULT_REGION)})])
        await ctx.outbox.deliver()
    await tell_user(client, user_id=request.enterer, channel=request.origin_channel,
                    message=approval.requester_notice(request, permalink))
    await refresh_homes_showing(ctx, refreshed)
