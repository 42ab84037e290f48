"""A leaver's request's approval message: rendered for the outbox, and what follows its
posting (the requester's link) or Slack's refusal for good (the requester is told the fix).

Posting itself is the core's durable step (``bot.offboarding.posts``), and so is what
follows: queued in the transaction that records the post or the refusal."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from blocks.approval.metadata import bundle_metadata, with_metadata
from blocks.offboarding import messages as blocks
from bot.context import BotContext
from bot.offboarding.models import Offboarding, OffboardingView
from bot.storage.repository import OutboxMessage
from handlers.approval.post import notice_call
from handlers.home.tab import refresh_approvers_homes
from handlers.slack.io import permalink

log = logging.getLogger(__name__)


def approval_channel(ctx: BotContext, offboarding: Offboarding) -> str:
    return ctx.settings.APPROVAL_CHANNEL or offboarding.origin_channel or \
        offboarding.requester_id


def approval_call(ctx: BotContext, view: OffboardingView) -> OutboxMessage:
    region = ctx.settings.DEFAULT_REGION
    message = blocks.approval_message(view, region=region)
    return OutboxMessage("chat.postMessage", {
        "channel": approval_channel(ctx, view.offboarding),
        **with_metadata(message, bundle_metadata(view, region))})


def wire(ctx: BotContext, client: AsyncWebClient) -> None:
    """Tell the core what follows the approval message's posting or refusal: queued with the
    record of it (``BundleApprovalPosts.wire``), rendered here."""

    async def link(channel: str, ts: str) -> str | None:
        return await permalink(client, channel, ts)

    async def changed(offboarding_id: str) -> None:
        # Posted: it shows in the approvers' Homes (refused: it leaves the requester's).
        offboarding = await ctx.offboarding.get(offboarding_id)
        if offboarding is not None:
            await refresh_approvers_homes(ctx, offboarding.requester_id)

    ctx.offboarding.posts.wire(posted=lambda view, url: approval_posted(ctx, view, url),
                               refused=lambda view, error: approval_refused(ctx, view, error),
                               permalink=link, changed=changed)


def approval_posted(ctx: BotContext, view: OffboardingView, link: str | None
                    ) -> list[OutboxMessage]:
    o = view.offboarding
    return [notice_call(ctx, o.requester_id, o.origin_channel,
                        blocks.requester_notice(view, link), posted_in=o.approval_channel)]


def approval_refused(ctx: BotContext, view: OffboardingView, error: str
                     ) -> list[OutboxMessage]:
    o = view.offboarding
    refused_in = approval_channel(ctx, o)
    return [notice_call(ctx, o.requester_id, o.origin_channel,
                        blocks.approval_refused_notice(view, refused_in, error),
                        refused_in=refused_in)]
