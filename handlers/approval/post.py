"""The approval message: rendered for the outbox, and what follows its posting or refusal.

Posting itself is the core's durable step (``bot.approval.posts``), and so is what follows:
queued in the transaction that records the post. These are the parts that speak Slack: the
message, the requester's link (read with chat.getPermalink before that transaction, so it
is kept on the request with the record), the help-desk thread, the Homes. The parts every
kind of request shares (where its message and notices go, the link, the notice of Slack's
refusal) are here too; a leaver's request's own are in ``handlers.offboarding.post``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from blocks.approval import message as approval
from blocks.approval.metadata import line_order_metadata, with_metadata
from blocks.helpdesk import replies as helpdesk
from bot.approval.posts import ApprovalPosts, FollowUps, RefusalNews
from bot.context import BotContext
from bot.domain import LineRequest, RequestState
from bot.storage.outbox_queue import OutboxMessage
from handlers.approval import news
from handlers.home.tab import refresh_homes_showing
from handlers.slack.io import permalink
from handlers.workflow_steps.completion import line_completion

log = logging.getLogger(__name__)

S = TypeVar("S")


class Asked(Protocol):
    """Any kind of request, as far as where its approval message and notices go."""

    @property
    def requester_id(self) -> str: ...

    @property
    def origin_channel(self) -> str | None: ...


def approval_channel(ctx: BotContext, request: Asked) -> str:
    return ctx.settings.APPROVAL_CHANNEL or request.origin_channel or request.requester_id


async def approval_call(ctx: BotContext, request: LineRequest) -> OutboxMessage:
    # Says how many approvers it needs, when several (APPROVALS_REQUIRED).
    request = request.model_copy(update={
        "approvals_required": ctx.orders.approvals_required(request)})
    region = ctx.settings.DEFAULT_REGION
    message = approval.approval_message(request, region=region,
                                        warnings=await ctx.orders.warnings(request))
    return OutboxMessage("chat.postMessage", {
        "channel": approval_channel(ctx, request),
        **with_metadata(message, line_order_metadata(request, region))})


def notice_call(ctx: BotContext, user_id: str, channel: str | None,
                message: dict[str, Any], *, posted_in: str | None = None,
                refused_in: str | None = None) -> OutboxMessage:
    """A notice for one person, queued: private in the channel they acted in when the bot
    surely can post there (the approval channel, a help-desk channel, ``posted_in`` where it
    just posted), else a direct message. A queued call can't fall back to a DM when Slack
    refuses it for good, so a channel the bot may not be in (or ``refused_in``, where Slack
    just refused it) gets the DM at once."""
    known = {ctx.settings.APPROVAL_CHANNEL, *ctx.settings.HELPDESK_CHANNELS, posted_in}
    if channel and channel != refused_in and channel in known:
        return OutboxMessage("chat.postEphemeral", {"channel": channel, "user": user_id,
                                                    **message})
    return OutboxMessage("chat.postMessage", {"channel": user_id, **message})


def wire_posts(client: AsyncWebClient, posts: ApprovalPosts[S], *, posted: FollowUps[S],
               refused: RefusalNews[S],
               changed: Callable[[str], Awaitable[None]] | None = None) -> None:
    """Tell the core what follows a kind of request's approval message's posting or refusal:
    queued with the record of it (``ApprovalPosts.wire``), rendered by ``posted`` (given the
    message's link, read here) and ``refused``."""

    async def link(channel: str, ts: str) -> str | None:
        return await permalink(client, channel, ts)

    posts.wire(permalink=link, posted=posted, refused=refused, changed=changed)


def refusal_notice(ctx: BotContext, user_id: str, request: Asked,
                   notice: Callable[[str], dict[str, Any]]) -> OutboxMessage:
    """Slack refused the approval message for good: ``user_id`` hears it, with what
    ``notice`` says of the channel it was refused in."""
    refused_in = approval_channel(ctx, request)
    return notice_call(ctx, user_id, request.origin_channel, notice(refused_in),
                       refused_in=refused_in)


def wire(ctx: BotContext, client: AsyncWebClient) -> None:
    """A single line's request: the message's link is kept on the request with its record,
    and the Homes showing it are refreshed."""

    async def changed(request_id: str) -> None:
        request = await ctx.repo.get(request_id)
        if request is not None:
            await refresh_homes_showing(ctx, request)

    wire_posts(client, ctx.approvals, posted=lambda r, _link: approval_posted(ctx, r),
               refused=lambda r, error: approval_refused(ctx, r, error), changed=changed)


# Decided before its approval message was recorded: its decision could not update it then.
_GONE = frozenset({RequestState.CANCELLED, RequestState.EXPIRED})


def approval_posted(ctx: BotContext, request: LineRequest) -> list[OutboxMessage]:
    """What follows the approval message, from the request as recorded with it: the
    help-desk thread it came from hears it waits (while it does), and whoever filled in
    the form gets the message's link."""
    told = news.of_request(ctx, request)
    if request.state in _GONE:
        # Withdrawn (or expired) while the message was already on its way (a still-queued
        # one is dropped with the withdrawal): it loses its buttons at once and says so,
        # and nobody is told to wait for an approver.
        return [told.refresh()]
    messages: list[OutboxMessage] = []
    if told.helpdesk is not None and request.state is RequestState.PENDING:
        # The person who asked in the help desk follows the order in their own thread.
        summary = helpdesk.waiting_summary(request, region=ctx.settings.DEFAULT_REGION)
        messages += told.in_helpdesk(summary)
    messages.append(notice_call(ctx, request.enterer, request.origin_channel,
                                approval.requester_notice(request,
                                                          request.approval_permalink),
                                posted_in=request.approval_channel))
    return messages


def approval_refused(ctx: BotContext, request: LineRequest, error: str
                     ) -> list[OutboxMessage]:
    """Slack refused the approval message for good: whoever filled in the form hears the
    request was cancelled, and how to fix it."""
    return [refusal_notice(ctx, request.enterer, request,
                           lambda refused_in: notices.approval_refused(request, refused_in,
                                                                       error)),
            *line_completion(ctx, request)]
