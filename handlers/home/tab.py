"""Publishing the App Home tab, when opened and when something on it changes."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.home.tab import MAX_DECIDED, MAX_OWN, home_view
from bot.context import BotContext
from bot.domain import LineRequest
from bot.offboarding.models import OffboardingView
from handlers.slack.io import slack_error

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Shown:
    """What every Home shows alike: read once however many Homes are refreshed."""

    pending: list[LineRequest]
    decided: list[LineRequest | OffboardingView]  # both kinds, latest decision first
    bundles: list[OffboardingView]  # leavers' requests waiting for approval


async def _shown(ctx: BotContext) -> _Shown:
    # With who has approved each and how many each needs (APPROVALS_REQUIRED).
    pending = await ctx.orders.with_approvals(await ctx.orders.pending())
    decided: list[LineRequest | OffboardingView] = [
        *await ctx.repo.recent_decided(MAX_DECIDED),
        *await ctx.offboarding.repo.recent_decided(MAX_DECIDED)]
    decided.sort(key=_decided_at, reverse=True)
    return _Shown(pending=pending, decided=decided[:MAX_DECIDED],
                  bundles=await ctx.offboarding.pending_with_approvals())


def _decided_at(item: LineRequest | OffboardingView) -> datetime:
    decided = item.offboarding.decided_at if isinstance(item, OffboardingView) \
        else item.decided_at
    return decided or datetime.min.replace(tzinfo=UTC)


async def publish_home(ctx: BotContext, client: AsyncWebClient, user_id: str,
                       shown: _Shown | None = None) -> None:
    shown = shown or await _shown(ctx)
    own = await ctx.repo.for_user(user_id, MAX_OWN)
    # A leaver's request is listed once, among the single ones (its lines are not).
    own_bundles = await ctx.offboarding.repo.for_user(user_id, MAX_OWN)
    waiting: list[LineRequest] | None = None
    bundles: list[OffboardingView] = []
    if await ctx.orders.approvers.is_approver(user_id):
        # Only what their approval would count for (``DecisionGuards``' own rules).
        mine = ctx.orders.guards.asker_refusal
        waiting = [r for r in shown.pending if r.approval_ts
                   and mine(r, user_id, r.approvals_required) is None]
        bundles = [b for b in shown.bundles if b.offboarding.approval_ts
                   and mine(b.offboarding, user_id, b.approvals_required) is None]
    mobproc = await ctx.mobproc_approvals.waiting_for(user_id) \
        if ctx.mobproc_approvals is not None else []
    view = home_view(own=own, waiting=waiting, decided=shown.decided,
                     region=ctx.settings.DEFAULT_REGION, mobproc=mobproc, viewer=user_id,
                     bundles=bundles, own_bundles=own_bundles)
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("Could not publish the Home tab of %s: %s", user_id, slack_error(exc))


async def home_opened(ctx: BotContext, client: AsyncWebClient, user_id: str) -> None:
    """Someone looks at their Home: from now on it is kept fresh; show it now."""
    await ctx.visitors.record(user_id)
    await publish_home(ctx, client, user_id)


async def publish_homes(ctx: BotContext, client: AsyncWebClient, users: Iterable[str]) -> None:
    """Publish the Homes of those of ``users`` who have ever opened theirs: Slack shows a
    Home only when opened, and publishes it then, so the others would be wasted calls."""
    people = [u for u in dict.fromkeys(users) if u]
    visitors = await ctx.visitors.among(people) if people else set()
    people = [u for u in people if u in visitors]
    shown = await _shown(ctx) if people else None
    for user_id in people:
        await publish_home(ctx, client, user_id, shown)


def refresh_homes(ctx: BotContext, users: Iterable[str | None]) -> None:
    """These people's Homes changed: publish them once the current burst of changes is over."""
    ctx.homes.mark(users)


async def refresh_homes_showing(ctx: BotContext, request: LineRequest) -> None:
    """A request was asked for or decided: its people's Homes change, and so does every
    approver's waiting list (user-group members included)."""
    await refresh_approvers_homes(ctx, *people_of(request))


async def refresh_approvers_homes(ctx: BotContext, *people: str | None) -> None:
    """Every approver's waiting list changed (a leaver's request too shows there), and so
    did these ``people``'s Homes."""
    approvers = sorted(await ctx.orders.approvers.everyone())
    refresh_homes(ctx, [*people, *approvers])


def people_of(request: LineRequest) -> list[str | None]:
    return [request.requester_id, request.entered_by, request.decided_by]
