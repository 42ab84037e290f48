"""The approval message: rendered for the outbox, and what follows its posting or refusal.

Posting itself is the core's durable step (``bot.approval.posts``), and so is what follows:
queued in the transaction that records the post. These are the parts that speak Slack: the
message, the requester's link (read with chat.getPermalink before that transaction, so it
is kept on the request with the record), the help-desk thread, the Homes.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from blocks.approval import message as approval
from blocks.approval.metadata import line_order_metadata, with_metadata
from blocks.helpdesk import replies as helpdesk
from bot.context import BotContext
from bot.domain import LineRequest, RequestState
from bot.storage.repository import OutboxMessage
from handlers.home.tab import refresh_homes_showing
from handlers.orders.news import update_call
from handlers.slack.io import permalink
from handlers.workflow_steps.completion import line_completion

log = logging.getLogger(__name__)


def approval_channel(ctx: BotContext, request: LineRequest) -> str:
    return ctx.settings.APPROVAL_CHANNEL or request.origin_channel or request.requester_id


async def approval_call(ctx: BotContext, request: LineRequest) -> OutboxMessage:
    # Says how many approvers it needs, when several (APPROVALS_REQUIRED).
    request = request.model_copy(update={
        "approvals_required": ctx.orders.approvals_required(request)})
    region = ctx.settings.DEFAULT_REGION
    message = approval.approval_message(request, region=region,
                                        warnings=await ctx.orders.warnings(request))
    return OutboxMessage("chat.postMessage", {
        "channel": approval_channel(ctx, request),
        **with_metadata(message, line_order_metadata(request, region))})


def notice_call(ctx: BotContext, user_id: str, channel: str | None,
                message: dict[str, Any], *, posted_in: str | None = None,
                refused_in: str | None = None) -> OutboxMessage:
    """A notice for one person, queued: private in the channel they acted in when the bot
    surely can post there (the approval channel, a help-desk channel, ``posted_in`` where it
    just posted), else a direct message. A queued call can't fall back to a DM when Slack
    refuses it for good, so a channel the bot may not be in (or ``refused_in``, where Slack
    just refused it) gets the DM at once."""
    known = {ctx.settings.APPROVAL_CHANNEL, *ctx.settings.HELPDESK_CHANNELS, posted_in}
    if channel and channel != refused_in and channel in known:
        return OutboxMessage("chat.postEphemeral", {"channel": channel, "user": user_id,
                                                    **message})
    return OutboxMessage("chat.postMessage", {"channel": user_id, **message})


def wire(ctx: BotContext, client: AsyncWebClient) -> None:
    """Tell the core what follows an approval message's posting or refusal: queued with the
    record of it (``ApprovalPosts.wire``), rendered here."""

    async def link(channel: str, ts: str) -> str | None:
        return await permalink(client, channel, ts)

    async def changed(request_id: str) -> None:
        request = await ctx.repo.get(request_id)
        if request is not None:
            await refresh_homes_showing(ctx, request)

    ctx.approvals.wire(permalink=link, posted=lambda r: approval_posted(ctx, r),
                       refused=lambda r, error: approval_refused(ctx, r, error),
                       changed=changed)


# Decided before its approval message was recorded: its decision could not update it then.
_GONE = frozenset({RequestState.CANCELLED, RequestState.EXPIRED})


def approval_posted(ctx: BotContext, request: LineRequest) -> list[OutboxMessage]:
    """What follows the approval message, from the request as recorded with it: the
    help-desk thread it came from hears it waits (while it does), and whoever filled in
    the form gets the message's link."""
    if request.state in _GONE:
        # Withdrawn (or expired) while the message was already on its way (a still-queued
        # one is dropped with the withdrawal): it loses its buttons at once and says so,
        # and nobody is told to wait for an approver.
        return [update_call(ctx, request, approval.decided_message(
            request, region=ctx.settings.DEFAULT_REGION))]
    messages: list[OutboxMessage] = []
    if request.helpdesk_channel and request.helpdesk_ts and \
            request.state is RequestState.PENDING:
        # The person who asked in the help desk follows the order in their own thread.
        region = ctx.settings.DEFAULT_REGION
        messages.append(OutboxMessage("chat.postMessage", {
            "channel": request.helpdesk_channel, "thread_ts": request.helpdesk_ts,
            **with_metadata(helpdesk.waiting_summary(request, region=region),
                            line_order_metadata(request, region))}))
    messages.append(notice_call(ctx, request.enterer, request.origin_channel,
                                approval.requester_notice(request,
                                                          request.approval_permalink),
                                posted_in=request.approval_channel))
    return messages


def approval_refused(ctx: BotContext, request: LineRequest, error: str
                     ) -> list[OutboxMessage]:
    """Slack refused the approval message for good: whoever filled in the form hears the
    request was cancelled, and how to fix it."""
    refused_in = approval_channel(ctx, request)
    return [notice_call(ctx, request.enterer, request.origin_channel,
                        notices.approval_refused(request, refused_in, error),
                        refused_in=refused_in), *line_completion(ctx, request)]
