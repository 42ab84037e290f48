"""Approve and Cancel on the approval message."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.ids import APPROVE_ACTION, CANCEL_ACTION
from bot.context import BotContext
from bot.domain import LineRequest, RequestState
from bot.orders.service import Decision, DecisionOutcome
from handlers.approval.decisions import decide, publish_or_explain
from handlers.slack.guards import message_names
from handlers.slack.io import is_slack_retry, slack_error
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import BlockAction, Message

log = logging.getLogger(__name__)

ATTACH_WAIT_ROUNDS = 40
ATTACH_WAIT_SECONDS = 0.05


def register(app: AsyncApp, ctx: BotContext) -> None:
    app.action(APPROVE_ACTION)(with_ctx(approve, ctx))
    app.action(CANCEL_ACTION)(with_ctx(cancel, ctx))


async def approve(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                  client: AsyncWebClient, request: AsyncBoltRequest) -> None:
    await ack()
    await _decide(ctx, client, BlockAction.from_body(body), "approve",
                  retried=is_slack_retry(request))


async def cancel(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                 client: AsyncWebClient, request: AsyncBoltRequest) -> None:
    await ack()
    await _decide(ctx, client, BlockAction.from_body(body), "cancel",
                  retried=is_slack_retry(request))


async def _stored_request(ctx: BotContext, request_id: str) -> LineRequest | None:
    """The request, once its approval message is recorded.

    Slack shows the message as soon as chat.postMessage succeeds, a moment before its ts is
    stored: a very quick click waits for that instead of being refused.
    """
    for _ in range(ATTACH_WAIT_ROUNDS):
        stored = await ctx.repo.get(request_id) if request_id else None
        if stored is None or stored.approval_ts is not None or \
                stored.state is not RequestState.PENDING:
            return stored
        await asyncio.sleep(ATTACH_WAIT_SECONDS)
    return stored


async def _adopt_message(ctx: BotContext, stored: LineRequest, channel: str, ts: str,
                         message: Message | None) -> LineRequest | None:
    """A pending request whose message ts was never stored (the bot stopped right after
    posting it) takes the clicked message as its own, if it is in the channel it was
    posted to and its metadata names this request (not a button carrying this request's id
    on another message). Only the first such message can: the update is conditional."""
    expected = ctx.settings.APPROVAL_CHANNEL or stored.origin_channel or stored.requester_id
    if stored.state is not RequestState.PENDING or stored.offboarding_id is not None or \
            channel != expected:
        return stored  # a leaver's request's line gets its message with the whole request
    if not message_names(message.as_dict() if message else None, stored.id):
        log.warning("Refused to bind message %s/%s to request %s: its metadata names "
                    "another request, or none", channel, ts, stored.id)
        return stored
    if await ctx.orders.adopt_approval_message(stored.id, channel, ts):
        log.info("Request %s adopted its approval message %s/%s", stored.id, channel, ts)
    return await ctx.repo.get(stored.id)


async def _decide(ctx: BotContext, client: AsyncWebClient, click: BlockAction,
                  verb: str, *, retried: bool) -> None:
    user_id, channel, message_ts = click.user_id, click.message_channel_id, click.message_ts
    request_id = click.value
    # The stored request decides, not the button: it must be the one this message shows.
    stored = await _stored_request(ctx, request_id)
    if stored is not None and stored.approval_ts is None and channel and message_ts:
        stored = await _adopt_message(ctx, stored, channel, message_ts, click.message)
    if stored is None or (stored.approval_channel, stored.approval_ts) != (channel, message_ts):
        decision = Decision(DecisionOutcome.NOT_FOUND)
    else:
        decision = await decide(ctx, request_id, user_id, verb, known=stored)
    if retried and decision.outcome is DecisionOutcome.ALREADY_DECIDED and \
            decision.request is not None and decision.request.decided_by == user_id:
        return  # Slack resending this person's own click: they already saw the result
    message = await publish_or_explain(ctx, client, decision, user_id, verb)
    if message is None:
        return
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user_id, **message)
        except SlackApiError as exc:
            log.warning("Could not tell %s why nothing changed: %s", user_id, slack_error(exc))
