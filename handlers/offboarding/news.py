"""What is a leaver's request's own to tell once decided: each line's news in the request's
thread and the final summary once every line's order has ended, queued in the outbox under
the request's id so the thread reads in order. The core queues each with the move it reports
(``BundleTellers``); what every request tells alike (the decision's update and reply, an
approval that leaves more to come, expiry, reminders) is ``handlers.approval.news``'s.

Every message in the thread, and every update of the approval message, carries the
request's metadata (``blocks.approval.metadata``): every line on the request's own news, only the
line told of on a line's news. Direct messages to people don't."""

from __future__ import annotations

from typing import Any

from blocks.approval.metadata import line_news_metadata, status_change_metadata
from blocks.offboarding import messages as blocks
from bot.context import BotContext
from bot.domain import LineRequest, StatusChange
from bot.offboarding.models import OffboardingState, OffboardingView
from bot.offboarding.service import BundleTellers
from bot.storage.outbox_queue import OutboxMessage
from bot.workflow_steps.steps import WORKFLOW_STEP
from handlers.approval import news
from handlers.home.tab import refresh_homes
from handlers.workflow_steps.completion import bundle_success


def _in_line_thread(request: LineRequest, message: dict[str, Any],
                    metadata: dict[str, Any]) -> list[OutboxMessage]:
    """A bundled line's news goes to the bundle's approval thread, once it has one."""
    return news.replies(news.Thread(request.approval_channel, request.approval_ts),
                        message, metadata)


def line_decision_messages(ctx: BotContext, request: LineRequest) -> list[OutboxMessage]:
    region = ctx.settings.DEFAULT_REGION
    return _in_line_thread(request, blocks.line_decision_reply(request, region=region),
                           line_news_metadata(request, region))


def line_status_messages(ctx: BotContext, change: StatusChange) -> list[OutboxMessage]:
    region = ctx.settings.DEFAULT_REGION
    return _in_line_thread(change.request, blocks.line_status_reply(change, region=region),
                           status_change_metadata(change, region))


def summary_messages(ctx: BotContext, view: OffboardingView) -> list[OutboxMessage]:
    """Every line's order has ended: the thread sums them up, then the message shows it."""
    told = news.of_leaver(ctx, view)
    if not told.approval.posted:
        return []
    return [told.thread(blocks.summary_reply(view, region=ctx.settings.DEFAULT_REGION)),
            told.refresh()]


def _refresh(ctx: BotContext, view: OffboardingView) -> list[OutboxMessage]:
    told = news.of_leaver(ctx, view)
    return [told.refresh()] if told.approval.posted else []


def tellers(ctx: BotContext) -> BundleTellers:
    return BundleTellers(
        decision=lambda view: news.decision_messages(news.of_leaver(ctx, view)),
        line=lambda line: line_decision_messages(ctx, line),
        summary=lambda view: summary_messages(ctx, view),
        refresh=lambda view: _refresh(ctx, view),
        progress=lambda view: news.progress_messages(news.of_leaver(ctx, view)))


async def settle(ctx: BotContext) -> None:
    """The follower's round: lines a crash left unplaced are placed and told; requests
    whose every line has ended get their summary, once (each queued with its move)."""
    _, ended = await ctx.offboarding.settle(tellers(ctx))
    # Done: the requester's "Your requests" entry says so.
    refresh_homes(ctx, [view.offboarding.requester_id for view in ended])
    await complete_bundles(ctx)


async def complete_bundles(ctx: BotContext) -> None:
    """Workflow Builder step runs of approved leaver's requests complete once every line is
    placed or has ended: each at most once (the outbox's one call per request and purpose),
    whichever replica, click (``handlers.approval.kinds``) or round sees it first."""
    for run in await ctx.steps.running_bundles([OffboardingState.APPROVED.value,
                                                OffboardingState.DONE.value]):
        if run.offboarding_id is None:
            continue
        view = await ctx.offboarding.view(run.offboarding_id)
        call = bundle_success(view) if view is not None else None
        if call is not None:
            await ctx.repo.enqueue_once(run.offboarding_id, call, WORKFLOW_STEP)
