"""MobProc's own approvals in Slack: the DMs, Approve, Reject with its reason modal."""

from __future__ import annotations

import logging
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import (
    MOBPROC_APPROVE_ACTION,
    MOBPROC_REASON_BLOCK,
    MOBPROC_REJECT_ACTION,
    MOBPROC_REJECT_CALLBACK,
)
from blocks.mobproc_approvals import messages as mobproc_approval
from bot.context import BotContext
from bot.domain import ApprovalState, MobProcApproval
from bot.mobproc_approvals.service import Answer, Outcome, Round, SlackSide, reason_problem
from handlers.home.tab import refresh_homes
from handlers.slack.io import is_slack_retry, slack_error, tell_user
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import BlockAction, ViewSubmission

log = logging.getLogger(__name__)


def register(app: AsyncApp, ctx: BotContext) -> None:
    app.action(MOBPROC_APPROVE_ACTION)(with_ctx(approve, ctx))
    app.action(MOBPROC_REJECT_ACTION)(with_ctx(reject, ctx))
    app.view(MOBPROC_REJECT_CALLBACK)(with_ctx(reason_given, ctx))


async def approve(ctx: BotContext, ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                  request: AsyncBoltRequest) -> None:
    """Approve, in the DM or on the Home tab."""
    await ack()
    click = _click(body)
    if click is None:
        return
    answer = await _service(ctx).answer(click.value, click.user_id, "APPROVE")
    if answer.outcome is Outcome.ALREADY and is_slack_retry(request):
        return  # Slack resending a click: its first delivery already told them
    await after_answer(ctx, client, answer, click.user_id)


async def reject(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                 client: AsyncWebClient) -> None:
    """Reject, in the DM or on the Home tab: the modal asking for the reason."""
    await ack()
    click = _click(body)
    if click is None:
        return
    approval = await _service(ctx).get(click.value)
    if approval is None or approval.approver_id != click.user_id:
        await tell_user(client, user_id=click.user_id, channel=None,
                        message=mobproc_approval.notice(Answer(Outcome.NOT_FOUND)))
        return
    if approval.state is not ApprovalState.WAITING:
        await tell_user(client, user_id=click.user_id, channel=None,
                        message=mobproc_approval.notice(Answer(Outcome.ALREADY, approval)))
        return
    try:
        await client.views_open(trigger_id=click.trigger_id or "",
                                view=mobproc_approval.reject_modal(approval))
    except SlackApiError as exc:
        log.warning("Could not open the reject modal: %s", slack_error(exc))
        await tell_user(client, user_id=click.user_id, channel=None,
                        message=mobproc_approval.notice(Answer(Outcome.UNAVAILABLE, approval)))


async def reason_given(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                       client: AsyncWebClient) -> None:
    """The reject modal submitted: the approval it is for and the reason typed."""
    try:
        submitted = ViewSubmission.from_body(body)
    except ValidationError:
        await ack()
        return
    approval_id = submitted.view.private_metadata
    reason = submitted.view.text(MOBPROC_REASON_BLOCK)
    problem = reason_problem("REJECT", reason)
    if problem:
        await ack(response_action="errors", errors={MOBPROC_REASON_BLOCK: problem})
        return
    await ack()
    answer = await _service(ctx).answer(approval_id, submitted.user_id, "REJECT", reason)
    await after_answer(ctx, client, answer, submitted.user_id)


def _service(ctx: BotContext):  # type: ignore[no-untyped-def]
    assert ctx.mobproc_approvals is not None
    return ctx.mobproc_approvals


def _click(body: dict[str, Any]) -> BlockAction | None:
    try:
        return BlockAction.from_body(body)
    except ValidationError:
        return None


def slack_side(ctx: BotContext, client: AsyncWebClient) -> SlackSide:
    """What the core queues for Slack: the DM (to the approver's DM channel, so a sender
    taking over can read it back), its updates and the clicker's notice."""
    channels: dict[str, str] = {}  # an app's DM channel with a person never changes

    async def dm_channel(user_id: str) -> str | None:
        if user_id not in channels:
            try:
                opened = await client.conversations_open(users=user_id)
            except SlackApiError as exc:
                log.warning("Could not open a DM with %s: %s", user_id, slack_error(exc))
                return None
            channels[user_id] = str((opened.get("channel") or {}).get("id") or "")
        return channels[user_id] or None

    def dm(approval: MobProcApproval) -> dict[str, Any]:
        return mobproc_approval.approval_dm(approval, region=ctx.settings.DEFAULT_REGION)

    return SlackSide(dm_channel=dm_channel, dm=dm, notice=mobproc_approval.notice)


async def after_answer(ctx: BotContext, client: AsyncWebClient, answer: Answer,
                       user_id: str) -> None:
    """The clicker gets a plain message; the DM shows the outcome (so nobody answers twice)
    and the Home loses the buttons. A settled click queued both with its change."""
    if answer.told:
        await ctx.outbox.deliver()
    else:
        await tell_user(client, user_id=user_id, channel=None,
                        message=mobproc_approval.notice(answer))
    refresh_homes(ctx, [user_id])


async def deliver_round(ctx: BotContext, client: AsyncWebClient, found: Round) -> None:
    """New orders waiting: one DM each. Orders no longer waiting: their DM says so. Both
    were queued with the rows' changes: this sends them."""
    if found.new or found.changed:
        await ctx.outbox.deliver()
    refresh_homes(ctx, [a.approver_id for a in [*found.new, *found.changed]])


async def look_up_on_home_open(ctx: BotContext, user_id: str) -> None:
    """Someone opened their Home: what waits for them in MobProc (unless just asked)."""
    if ctx.approval_watcher is None:
        return
    try:
        await ctx.approval_watcher.look_up(user_id)
    except Exception:  # the Home is shown anyway
        log.warning("Looking up MobProc approvals of %s failed", user_id, exc_info=True)
