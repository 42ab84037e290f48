"""Posting decisions and status changes to the approval message and its thread."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from blocks import approval, status
from bot.context import BotContext
from bot.domain import LineRequest, RequestState, StatusChange

log = logging.getLogger(__name__)


async def publish_decision(ctx: BotContext, client: AsyncWebClient,
                           request: LineRequest) -> None:
    """Update the approval message (no more buttons) and say what happened in its thread."""
    if not request.approval_channel or not request.approval_ts:
        return
    region = ctx.settings.DEFAULT_REGION
    await client.chat_update(channel=request.approval_channel, ts=request.approval_ts,
                             **approval.decided_message(request, region=region))
    if request.state is RequestState.CANCELLED:
        reply = status.cancelled_reply(request)
    elif request.state is RequestState.FAILED:
        reply = status.failure_reply(request)
    elif request.state is RequestState.SUBMITTED:
        reply = status.submitted_reply(request)
    else:
        reply = status.pending_submission_reply(request)
    await client.chat_postMessage(channel=request.approval_channel,
                                  thread_ts=request.approval_ts, **reply)


async def publish_status(ctx: BotContext, client: AsyncWebClient, change: StatusChange) -> None:
    request = change.request
    if not request.approval_channel or not request.approval_ts:
        return
    await client.chat_postMessage(channel=request.approval_channel,
                                  thread_ts=request.approval_ts,
                                  **status.status_reply(change))
    if change.final:
        await client.chat_update(channel=request.approval_channel, ts=request.approval_ts,
                                 **approval.decided_message(request,
                                                            region=ctx.settings.DEFAULT_REGION))
