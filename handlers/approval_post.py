"""The approval message: rendered for the outbox, and what follows its posting or refusal.

Posting itself is the core's durable step (``bot.approval_posts``); these are the parts
that speak Slack: the message, the requester's link, the help-desk thread, the Homes.
"""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from blocks import approval, helpdesk, notices
from bot.context import BotContext
from bot.domain import LineRequest, RequestState
from bot.outbox import APPROVAL, PostOnce
from bot.storage.repository import OutboxMessage
from handlers.home_tab import refresh_homes_showing
from handlers.slack_io import permalink, tell_user

log = logging.getLogger(__name__)


def approval_channel(ctx: BotContext, request: LineRequest) -> str:
    return ctx.settings.APPROVAL_CHANNEL or request.origin_channel or request.requester_id


async def approval_call(ctx: BotContext, request: LineRequest) -> OutboxMessage:
    message = approval.approval_message(request, region=ctx.settings.DEFAULT_REGION,
                                        warnings=await ctx.orders.warnings(request))
    return OutboxMessage("chat.postMessage",
                         {"channel": approval_channel(ctx, request), **message})


def wire(ctx: BotContext, client: AsyncWebClient) -> None:
    """Tell the outbox what follows an approval message's posting or refusal."""

    async def posted(request_id: str) -> None:
        await approval_posted(ctx, client, request_id)

    async def refused(request_id: str, error: str) -> None:
        await approval_refused(ctx, client, request_id, error)

    # The repository is looked up at each call, not captured here (tests inject faults there).
    ctx.outbox.post_once(APPROVAL, PostOnce(
        lambda *args: ctx.repo.approval_posted(*args),
        lambda *args: ctx.repo.approval_refused(*args), posted, refused))


# Decided before its approval message was recorded: its decision could not update it then.
_GONE = frozenset({RequestState.CANCELLED, RequestState.EXPIRED})


async def approval_posted(ctx: BotContext, client: AsyncWebClient, request_id: str) -> None:
    request = await ctx.repo.get(request_id)
    if request is None or not request.approval_channel or not request.approval_ts:
        return
    if request.state in _GONE:
        # Withdrawn (or expired) while the message was already on its way (a still-queued
        # one is dropped with the withdrawal): it loses its buttons at once and says so,
        # and nobody is told to wait for an approver.
        await ctx.repo.enqueue(request.outbox_key, [OutboxMessage("chat.update", {
            "channel": request.approval_channel, "ts": request.approval_ts,
            **approval.decided_message(request, region=ctx.settings.DEFAULT_REGION)})])
        await refresh_homes_showing(ctx, request)
        return
    link = await permalink(client, request.approval_channel, request.approval_ts)
    if link:
        await ctx.repo.update_fields(request.id, approval_permalink=link)
        request = request.model_copy(update={"approval_permalink": link})
    if request.helpdesk_channel and request.helpdesk_ts:
        # The person who asked in the help desk follows the order in their own thread.
        await ctx.repo.enqueue(request.id, [OutboxMessage("chat.postMessage", {
            "channel": request.helpdesk_channel, "thread_ts": request.helpdesk_ts,
            **helpdesk.waiting_summary(request, region=ctx.settings.DEFAULT_REGION)})])
    await tell_user(client, user_id=request.enterer, channel=request.origin_channel,
                    message=approval.requester_notice(request, link))
    await refresh_homes_showing(ctx, request)


async def approval_refused(ctx: BotContext, client: AsyncWebClient, request_id: str,
                           error: str) -> None:
    request = await ctx.repo.get(request_id)
    if request is None:
        return
    await tell_user(client, user_id=request.enterer, channel=request.origin_channel,
                    message=notices.approval_refused(request, approval_channel(ctx, request),
                                                     error))
    await refresh_homes_showing(ctx, request)
