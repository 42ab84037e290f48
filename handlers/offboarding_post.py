"""A leaver's request's approval message: rendered for the outbox, and what follows its
posting (the requester's link) or Slack's refusal for good (the requester is told the fix).

Posting itself is the core's durable step (``bot.offboarding_posts``)."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from blocks import offboarding as blocks
from bot.context import BotContext
from bot.offboarding_models import Offboarding, OffboardingView
from bot.storage.repository import OutboxMessage
from handlers.slack_io import permalink, tell_user

log = logging.getLogger(__name__)


def approval_channel(ctx: BotContext, offboarding: Offboarding) -> str:
    return ctx.settings.APPROVAL_CHANNEL or offboarding.origin_channel or \
        offboarding.requester_id


def approval_call(ctx: BotContext, view: OffboardingView) -> OutboxMessage:
    message = blocks.approval_message(view, region=ctx.settings.DEFAULT_REGION)
    return OutboxMessage("chat.postMessage",
                         {"channel": approval_channel(ctx, view.offboarding), **message})


def wire(ctx: BotContext, client: AsyncWebClient) -> None:
    """Tell the outbox what follows the approval message's posting or refusal."""

    async def posted(offboarding_id: str) -> None:
        await approval_posted(ctx, client, offboarding_id)

    async def refused(offboarding_id: str, error: str) -> None:
        await approval_refused(ctx, client, offboarding_id, error)

    ctx.offboarding.posts.wire(posted, refused)


async def approval_posted(ctx: BotContext, client: AsyncWebClient, offboarding_id: str
                          ) -> None:
    view = await ctx.offboarding.view(offboarding_id)
    if view is None:
        return
    o = view.offboarding
    if not o.approval_channel or not o.approval_ts:
        return
    link = await permalink(client, o.approval_channel, o.approval_ts)
    await tell_user(client, user_id=o.requester_id, channel=o.origin_channel,
                    message=blocks.requester_notice(view, link))


async def approval_refused(ctx: BotContext, client: AsyncWebClient, offboarding_id: str,
                           error: str) -> None:
    view = await ctx.offboarding.view(offboarding_id)
    if view is None:
        return
    o = view.offboarding
    await tell_user(client, user_id=o.requester_id, channel=o.origin_channel,
                    message=blocks.approval_refused_notice(view, approval_channel(ctx, o),
                                                           error))
