"""Approve and Cancel, wherever the button was (approval message or Home tab)."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from bot.approval.warnings import ApprovalWarning
from bot.context import BotContext
from bot.domain import LineRequest
from bot.orders.service import Decision, DecisionOutcome
from bot.storage.outbox_queue import OutboxMessage
from handlers.approval import news
from handlers.home.tab import refresh_homes_showing
from handlers.orders.news import decision_messages


async def decide(ctx: BotContext, request_id: str, user_id: str, verb: str, *,
                 known: LineRequest | None = None) -> Decision:
    """The core queues what the decision tells (rendered here) with the change it reports."""

    def tell(request: LineRequest) -> list[OutboxMessage]:
        return decision_messages(ctx, request)

    if verb == "approve":
        if known is None or known.id != request_id:
            known = await ctx.repo.get(request_id)
        warnings: list[ApprovalWarning] = []
        if known is not None and ctx.orders.approvals_required(known) > 1:
            # The message is drawn again after an approval that leaves more to come: with
            # the warnings the next approver must still see.
            warnings = await ctx.orders.warnings(known)

        def progress(request: LineRequest) -> list[OutboxMessage]:
            return news.progress_messages(news.of_request(ctx, request, warnings=warnings))

        return await ctx.orders.approve(request_id, user_id, known=known, tell=tell,
                                        progress=progress)
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
