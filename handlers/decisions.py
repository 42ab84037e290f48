"""Approve and Cancel, wherever the button was (approval message or Home tab)."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from bot.context import BotContext
from bot.domain import LineRequest
from bot.orders import Decision, DecisionOutcome
from bot.storage.repository import OutboxMessage
from handlers.home_tab import refresh_homes_showing
from handlers.notify import decision_messages


async def decide(ctx: BotContext, request_id: str, user_id: str, verb: str, *,
                 known: LineRequest | None = None) -> Decision:
    """The core queues what the decision tells (rendered here) with the change it reports."""

    def tell(request: LineRequest) -> list[OutboxMessage]:
        return decision_messages(ctx, request)

    if verb == "approve":
        return await ctx.orders.approve(request_id, user_id, known=known, tell=tell)
    return await ctx.orders.cancel(request_id, user_id, tell=tell)


async def publish_or_explain(ctx: BotContext, client: AsyncWebClient, decision: Decision,
                             user_id: str, verb: str) -> dict[str, Any] | None:
    """A decision made is sent everywhere it shows; otherwise the notice that tells the
    clicker why nothing changed is returned."""
    if decision.outcome is DecisionOutcome.DONE and decision.request is not None:
        await ctx.outbox.deliver()  # its news, queued with the change by whoever made it
        await refresh_homes_showing(ctx, decision.request, user_id)
        return None
    if decision.outcome is DecisionOutcome.NOT_ALLOWED:
        return notices.not_allowed(verb, decision.reason or "")
    if decision.outcome is DecisionOutcome.ALREADY_DECIDED and decision.request is not None:
        return notices.already_decided(decision.request)
    return notices.refusal("I can't find the request behind this button; nothing was changed.")
