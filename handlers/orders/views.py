"""The order modal's submission: validate, confirm with MobProc, queue for approval.

Slack waits 3 s for the answer, counted from when it sent the request; the budget here is
counted from when it arrived (not from when this listener got to run, which under load is
later). When MobProc's confirmation can't be had in time, the answer is a "being checked"
view; the confirmation goes on in the background (it is never cancelled, so one that
completes is never reported as failed) and the view is updated with its result.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from blocks.ids import ORDER_FORM_CALLBACK
from blocks.orders import modals
from bot.context import BotContext
from bot.domain import ORDER_KINDS, FormInput, OrderKind
from bot.mobproc.models import TransactionType
from bot.orders.form import FormErrors
from bot.orders.service import ConfirmResult
from bot.slack.endpoint import received_at
from handlers.approval.post import approval_channel
from handlers.orders.view_state import block_errors, form_input
from handlers.slack.io import slack_error, tell_user
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import ViewSubmission

log = logging.getLogger(__name__)

# Of Slack's 3 s, counted from arrival: what the confirmation may take before the answer
# becomes the "being checked" view (rendering and sending it need the rest).
CONFIRM_BUDGET_SECONDS = 2.0
FAILED = "Something went wrong on my side, so nothing was sent. Please submit again."
# Title for a form whose stored request is gone (e.g. a forged private_metadata).
UNKNOWN_ORDER = OrderKind(TransactionType.SUSPEND, "", "Line order", "order", "order", "ordered")


def register(app: AsyncApp, ctx: BotContext) -> None:
    app.view(ORDER_FORM_CALLBACK)(with_ctx(submit_order_form, ctx))


async def submit_order_form(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                            client: AsyncWebClient, context: AsyncBoltContext) -> None:
    submission = ViewSubmission.from_body(body)
    request_id = submission.view.private_metadata
    user_id = submission.user_id
    entered = form_input(submission.values)
    budget = CONFIRM_BUDGET_SECONDS - (time.monotonic() - received_at(context))
    confirming = asyncio.ensure_future(_confirm(ctx, request_id, entered, user_id))
    done, _ = await asyncio.wait({confirming}, timeout=max(budget, 0.0))
    if not done:
        # Not in time: answer now, and show the result when it comes.
        await ack(response_action="update", view=await _checking(ctx, request_id))
        result = await confirming
        await _show_later(ctx, client, submission.view.id, request_id, entered, user_id,
                          result)
        return
    result = confirming.result()
    if result.errors:
        await ack(response_action="errors", errors=block_errors(result.errors))
        return
    if result.refusal or result.request is None:
        await ack(response_action="update",
                  view=await _form_again(ctx, request_id, entered, result.refusal))
        return
    if not result.confirmed_now:
        # Submitted again (a double click, or after a slow answer): say where it is.
        await ack(response_action="update", view=modals.already_sent_view(
            result.request, approval_channel(ctx, result.request)))
        return
    await ack()
    await ctx.approvals.queue(result.request)


async def _confirm(ctx: BotContext, request_id: str, entered: FormInput, user_id: str
                   ) -> ConfirmResult:
    """MobProc's confirmation; an unexpected failure (say, the database) is shown as one,
    with the form kept, rather than leaving the person without an answer."""
    try:
        return await ctx.orders.confirm(request_id, entered, user_id)
    except Exception:
        log.exception("Confirming request %s failed", request_id)
        return ConfirmResult(refusal=FAILED)


async def _checking(ctx: BotContext, request_id: str) -> dict[str, Any]:
    form = await ctx.orders.form(request_id)
    kind = ORDER_KINDS[form.transaction_type] if form is not None else UNKNOWN_ORDER
    return modals.checking_view(kind)


async def _show_later(ctx: BotContext, client: AsyncWebClient, view_id: str, request_id: str,
                      entered: FormInput, user_id: str, result: ConfirmResult) -> None:
    """The confirmation came after the answer: queue the request for approval, and put the
    result in the view the person has open (the form again with the problem, or the
    confirmation)."""
    if result.request is not None and result.confirmed_now:
        await ctx.approvals.queue(result.request)
    if result.errors:
        view = await _form_again(ctx, request_id, entered, _summary(result.errors))
    elif result.refusal or result.request is None:
        view = await _form_again(ctx, request_id, entered, result.refusal)
    elif result.confirmed_now:
        view = modals.sent_view(result.request, approval_channel(ctx, result.request))
    else:
        view = modals.already_sent_view(result.request, approval_channel(ctx, result.request))
    try:
        await client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        # Closed meanwhile: a refusal must still reach them; a confirmation does anyway
        # (the link to the approval request).
        log.info("Could not update the checked view of %s: %s", request_id, slack_error(exc))
        if result.refusal or result.errors:
            await tell_user(client, user_id=user_id, channel=None, message=notices.refusal(
                f"Your line order was not sent: {result.refusal or _summary(result.errors)}"))


def _summary(errors: FormErrors | None) -> str:
    problems = list((errors.fields if errors else {}).values()) + \
        list((errors.other if errors else {}).values())
    if errors and errors.acknowledgements:
        problems.append(errors.acknowledgements)
    return "Please correct the form: " + " ".join(problems)


async def _form_again(ctx: BotContext, request_id: str, entered: FormInput,
                      refusal: str | None) -> dict[str, Any]:
    form = await ctx.orders.form(request_id)
    message = refusal or "Something went wrong; please try again."
    if form is None:
        return modals.error_view(UNKNOWN_ORDER, message)
    return modals.order_form_view(form, entered=entered, error=message,
                                  region=ctx.settings.DEFAULT_REGION)
