"""Publishing the App Home tab, when opened and when something on it changes."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.home import home_view
from bot.context import BotContext
from bot.domain import LineRequest, RequestState
from handlers.slack_io import slack_error

log = logging.getLogger(__name__)


async def publish_home(ctx: BotContext, client: AsyncWebClient, user_id: str) -> None:
    own = await ctx.repo.for_user(user_id)
    waiting: list[LineRequest] | None = None
    if await ctx.orders.approvers.is_approver(user_id):
        waiting = [r for r in await ctx.repo.in_states([RequestState.PENDING])
                   if r.approval_ts and (r.requester_id != user_id
                                         or ctx.settings.ALLOW_SELF_APPROVAL)]
    decided = await ctx.repo.recent_decided()
    view = home_view(own=own, waiting=waiting, decided=decided,
                     region=ctx.settings.DEFAULT_REGION)
    try:
        await client.views_publish(user_id=user_id, view=view)
    except SlackApiError as exc:
        log.warning("Could not publish the Home tab of %s: %s", user_id, slack_error(exc))


async def refresh_homes(ctx: BotContext, client: AsyncWebClient,
                        users: Iterable[str | None]) -> None:
    for user_id in dict.fromkeys(u for u in users if u):
        await publish_home(ctx, client, user_id)


def people_of(request: LineRequest) -> list[str | None]:
    return [request.requester_id, request.entered_by, request.decided_by]
