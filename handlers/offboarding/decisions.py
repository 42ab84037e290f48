"""Approve and Cancel of a leaver's request, wherever the button was (its approval message
or the approver's App Home), as ``handlers.approval.decisions`` is for a single request."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from bot.context import BotContext
from bot.offboarding.models import OffboardingState
from bot.offboarding.service import BundleDecision
from bot.orders.service import DecisionOutcome
from handlers.home.tab import publish_home, refresh_approvers_homes
from handlers.offboarding.news import complete_bundles, tellers
from handlers.slack.io import tell_user
from handlers.slack.payloads import BlockAction


async def decide_bundle(ctx: BotContext, offboarding_id: str, user_id: str, verb: str
                        ) -> BundleDecision:
    """The core decides and queues what the decision tells (rendered here) with the move it
    reports; a decision made is sent, and every Home showing the request is refreshed."""
    if verb == "approve":
        decision = await ctx.offboarding.approve(offboarding_id, user_id, tellers(ctx))
    else:
        decision = await ctx.offboarding.cancel(offboarding_id, user_id, tellers(ctx))
    if decision.outcome is DecisionOutcome.DONE and decision.view is not None:
        if verb == "approve":  # a Workflow Builder step run completes once all are placed
            await complete_bundles(ctx, offboarding_id)
        await ctx.outbox.deliver()  # its news, queued with each move by whoever made it
        o = decision.view.offboarding
        await refresh_approvers_homes(ctx, user_id, o.requester_id, o.decided_by)
    return decision


async def decide_from_home(ctx: BotContext, client: AsyncWebClient, click: BlockAction,
                           verb: str) -> None:
    """A Home button: only a request whose approval message is out is shown there (and so
    decided from there), as for a single request; a click that changes nothing is told
    why, privately, and the clicker's Home is brought up to date."""
    user_id = click.user_id
    stored = await ctx.offboarding.get(click.value)
    if stored is None or stored.approval_ts is None:
        decision = BundleDecision(DecisionOutcome.NOT_FOUND)
    else:
        decision = await decide_bundle(ctx, stored.id, user_id, verb)
    if decision.outcome is DecisionOutcome.DONE:
        return
    await tell_user(client, user_id=user_id, channel=None, message=explain(decision, verb))
    await publish_home(ctx, client, user_id)


def explain(decision: BundleDecision, verb: str) -> dict[str, Any]:
    """Why a click changed nothing."""
    if decision.outcome is DecisionOutcome.NOT_ALLOWED:
        return notices.not_allowed(verb, decision.reason or "")
    if decision.outcome is DecisionOutcome.ALREADY_DECIDED and decision.view is not None:
        o = decision.view.offboarding
        who = f" by <@{o.decided_by}>" if o.decided_by else ""
        state = {OffboardingState.APPROVED: "approved", OffboardingState.DONE: "approved",
                 OffboardingState.CANCELLED: "cancelled",
                 OffboardingState.EXPIRED: "expired"}.get(o.state, o.state.value)
        text = f"This request was already {state}{who}. Nothing was changed."
        return {"text": text, "blocks": [{"type": "section",
                                          "text": {"type": "mrkdwn", "text": text}}]}
    return notices.refusal("I can't find the request behind this button; nothing was changed.")
