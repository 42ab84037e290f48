"""Approve and Cancel, on a request's approval message or in the App Home, for both kinds of
request: a single line's and a leaver's (``/offboard-lines``).

The steps are written once; the button's action id names the kind of request it decides
(``handlers.approval.kinds``: how to read it, adopt a message, decide, explain) and how."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from blocks.ids import (
    APPROVE_ACTION,
    CANCEL_ACTION,
    HOME_APPROVE_ACTION,
    HOME_CANCEL_ACTION,
    HOME_OFFBOARD_APPROVE_ACTION,
    HOME_OFFBOARD_CANCEL_ACTION,
    OFFBOARD_APPROVE_ACTION,
    OFFBOARD_CANCEL_ACTION,
)
from bot.context import BotContext
from bot.orders.service import DecisionOutcome
from handlers.approval.kinds import BUNDLE, SINGLE, Decided, Kind, S, Verb
from handlers.approval.post import approval_channel
from handlers.home.tab import publish_home, refresh_approvers_homes
from handlers.slack.guards import message_names
from handlers.slack.io import is_slack_retry, slack_error, tell_user
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import BlockAction, Message

log = logging.getLogger(__name__)

ATTACH_WAIT_ROUNDS = 40
ATTACH_WAIT_SECONDS = 0.05

# Each button by its action id (``blocks.ids``): the kind of request it decides, and how.
ON_MESSAGE: dict[str, tuple[Kind[Any], Verb]] = {
    APPROVE_ACTION: (SINGLE, "approve"),
    CANCEL_ACTION: (SINGLE, "cancel"),
    OFFBOARD_APPROVE_ACTION: (BUNDLE, "approve"),
    OFFBOARD_CANCEL_ACTION: (BUNDLE, "cancel"),
}
ON_HOME: dict[str, tuple[Kind[Any], Verb]] = {
    HOME_APPROVE_ACTION: (SINGLE, "approve"),
    HOME_CANCEL_ACTION: (SINGLE, "cancel"),
    HOME_OFFBOARD_APPROVE_ACTION: (BUNDLE, "approve"),
    HOME_OFFBOARD_CANCEL_ACTION: (BUNDLE, "cancel"),
}


def register(app: AsyncApp, ctx: BotContext) -> None:
    for action_id in ON_MESSAGE:
        app.action(action_id)(with_ctx(message_button, ctx))
    for action_id in ON_HOME:
        app.action(action_id)(with_ctx(home_button, ctx))


async def message_button(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                         client: AsyncWebClient, request: AsyncBoltRequest) -> None:
    """A button on an approval message: the request it decides must be the one this
    message shows; a click that changes nothing is told why, in the message's channel."""
    await ack()
    click = BlockAction.from_body(body)
    kind, verb = ON_MESSAGE[click.action_id]
    user_id, channel, ts = click.user_id, click.message_channel_id, click.message_ts
    # The stored request decides, not the button.
    stored = await _recorded(ctx, kind, click.value)
    if stored is not None and stored.approval_ts is None and channel and ts:
        stored = await _adopt(ctx, kind, stored, channel, ts, click.message)
    shown = stored is not None and (stored.approval_channel, stored.approval_ts) == (channel, ts)
    decided = await _decide(ctx, kind, stored if shown else None, user_id, verb)
    if decided.made:
        return
    if is_slack_retry(request) and decided.outcome is DecisionOutcome.ALREADY_DECIDED and \
            decided.request is not None and decided.request.decided_by == user_id:
        return  # Slack resending this person's own click: they already saw the result
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user_id,
                                            **_explain(kind, decided, verb))
        except SlackApiError as exc:
            log.warning("Could not tell %s why nothing changed: %s", user_id, slack_error(exc))


async def home_button(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                      client: AsyncWebClient) -> None:
    """A button in the App Home: decided as from the approval message; a click that changes
    nothing is told why, privately, and the clicker's Home is brought up to date."""
    await ack()
    click = BlockAction.from_body(body)
    kind, verb = ON_HOME[click.action_id]
    stored = await kind.get(ctx, click.value)
    decided = await _decide(ctx, kind, stored, click.user_id, verb)
    if decided.made:
        return
    await tell_user(client, user_id=click.user_id, channel=None,
                    message=_explain(kind, decided, verb))
    await publish_home(ctx, client, click.user_id)


async def _recorded(ctx: BotContext, kind: Kind[S], request_id: str) -> S | None:
    """The request, once its approval message is recorded.

    Slack shows the message as soon as chat.postMessage succeeds, a moment before its ts is
    stored: a very quick click waits for that instead of being refused.
    """
    stored = await kind.get(ctx, request_id)
    for _ in range(ATTACH_WAIT_ROUNDS):
        if stored is None or stored.approval_ts is not None or not kind.pending(stored):
            return stored
        await asyncio.sleep(ATTACH_WAIT_SECONDS)
        stored = await kind.get(ctx, request_id)
    return stored


async def _adopt(ctx: BotContext, kind: Kind[S], stored: S, channel: str, ts: str,
                 message: Message | None) -> S | None:
    """A pending request whose message ts was never stored (the bot stopped right after
    posting it) takes the clicked message as its own, if it is in the channel it was
    posted to and its metadata names this request (not a button carrying this request's id
    on another message). Only the first such message can: the update is conditional."""
    if not kind.pending(stored) or not kind.adopts(stored) or \
            channel != approval_channel(ctx, stored):
        return stored
    if not message_names(message.as_dict() if message else None, stored.id):
        log.warning("Refused to bind message %s/%s to request %s: its metadata names "
                    "another request, or none", channel, ts, stored.id)
        return stored
    if await kind.adopt(ctx, stored.id, channel, ts):
        log.info("Request %s adopted its approval message %s/%s", stored.id, channel, ts)
    return await kind.get(ctx, stored.id)


async def _decide(ctx: BotContext, kind: Kind[S], stored: S | None, user_id: str,
                  verb: Verb) -> Decided[S]:
    """The core decides ``stored`` (None: nothing this button may decide). A decision made
    is sent at once (its news, queued with the change by whoever made it), and every Home
    showing the request is refreshed, every approver's waiting list included."""
    if stored is None:
        return Decided(DecisionOutcome.NOT_FOUND)
    decided = await kind.decide(ctx, stored, user_id, verb)
    if decided.made and decided.request is not None:
        await ctx.outbox.deliver()
        await refresh_approvers_homes(ctx, user_id, *kind.people(decided.request))
    return decided


def _explain(kind: Kind[S], decided: Decided[S], verb: Verb) -> dict[str, Any]:
    """Why a click changed nothing."""
    if decided.outcome is DecisionOutcome.NOT_ALLOWED:
        return notices.not_allowed(verb, decided.reason or "")
    if decided.outcome is DecisionOutcome.ALREADY_DECIDED and decided.request is not None:
        return kind.already_decided(decided.request)
    return notices.refusal("I can't find the request behind this button; nothing was changed.")
