"""A leaver's request's approval message: rendered for the outbox, and what follows its
posting (the requester's link) or Slack's refusal for good (the requester is told the fix).

Posting itself is the core's durable step (``bot.approval.posts``), and so is what
follows: queued in the transaction that records the post or the refusal."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from blocks.approval.metadata import bundle_metadata, with_metadata
from blocks.offboarding import messages as blocks
from bot.context import BotContext
from bot.offboarding.models import OffboardingState, OffboardingView
from bot.storage.outbox_queue import OutboxMessage
from handlers.approval import news
from handlers.approval.post import approval_channel, notice_call, refusal_notice, wire_posts
from handlers.home.tab import refresh_approvers_homes

log = logging.getLogger(__name__)


async def approval_call(ctx: BotContext, view: OffboardingView) -> OutboxMessage:
    region = ctx.settings.DEFAULT_REGION
    message = blocks.approval_message(view, region=region)
    return OutboxMessage("chat.postMessage", {
        "channel": approval_channel(ctx, view.offboarding),
        **with_metadata(message, bundle_metadata(view, region))})


def wire(ctx: BotContext, client: AsyncWebClient) -> None:
    """A leaver's request: what follows gets the link just read (kept with the request);
    once posted it shows in the approvers' Homes (refused: it leaves the requester's)."""

    async def changed(offboarding_id: str) -> None:
        offboarding = await ctx.offboarding.get(offboarding_id)
        if offboarding is not None:
            await refresh_approvers_homes(ctx, offboarding.requester_id)

    wire_posts(client, ctx.offboarding.posts,
               posted=lambda view, link: approval_posted(ctx, view, link),
               refused=lambda view, error: approval_refused(ctx, view, error), changed=changed)


# Decided before its approval message was recorded: its decision could not update it then.
_GONE = frozenset({OffboardingState.CANCELLED, OffboardingState.EXPIRED})


def approval_posted(ctx: BotContext, view: OffboardingView, link: str | None
                    ) -> list[OutboxMessage]:
    """What follows the approval message, from the request as recorded with it: the
    requester gets its link, as a single request's does (``handlers.approval.post``)."""
    o = view.offboarding
    if o.state in _GONE:
        # Withdrawn (or expired) while the message was already on its way (a still-queued
        # one is dropped with the withdrawal): it loses its buttons at once and says so,
        # and nobody is told to wait for an approver.
        return [news.of_leaver(ctx, view).refresh()]
    return [notice_call(ctx, o.requester_id, o.origin_channel,
                        blocks.requester_notice(view, link), posted_in=o.approval_channel)]


def approval_refused(ctx: BotContext, view: OffboardingView, error: str
                     ) -> list[OutboxMessage]:
    return [refusal_notice(ctx, view.offboarding.requester_id, view.offboarding,
                           lambda refused_in: blocks.approval_refused_notice(view, refused_in,
                                                                             error))]
