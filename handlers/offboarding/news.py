"""What a leaver's request tells Slack once decided: the approval message's update and the
thread's news of each line, queued in the outbox under the request's id so the thread reads
in order, and the final summary once every line's order has ended. The core queues each with
the move it reports (``BundleTellers``); this module renders them.

Every message in the thread, and every update of the approval message, carries the
request's metadata (``blocks.approval.metadata``): every line on the request's own news, only the
line told of on a line's news. Direct messages to people don't."""

from __future__ import annotations

from typing import Any

from blocks.approval.metadata import bundle_metadata, line_news_metadata, status_change_metadata
from blocks.offboarding import messages as blocks
from bot.context import BotContext
from bot.domain import LineRequest, StatusChange
from bot.offboarding.models import OffboardingState, OffboardingView
from bot.offboarding.service import BundleTellers
from bot.storage.outbox_queue import OutboxMessage
from bot.workflow_steps.steps import WORKFLOW_STEP
from handlers.workflow_steps.completion import bundle_ending, bundle_success


def _thread(channel: str, ts: str, message: dict[str, object],
            metadata: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage("chat.postMessage", {"channel": channel, "thread_ts": ts,
                                              **message, "metadata": metadata})


def _metadata(ctx: BotContext, view: OffboardingView) -> dict[str, Any]:
    return bundle_metadata(view, ctx.settings.DEFAULT_REGION)


def _in_line_thread(request: LineRequest, message: dict[str, object],
                    metadata: dict[str, Any]) -> list[OutboxMessage]:
    """A bundled line's news goes to the bundle's approval thread, once it has one."""
    if not request.approval_channel or not request.approval_ts:
        return []
    return [_thread(request.approval_channel, request.approval_ts, message, metadata)]


def line_decision_messages(ctx: BotContext, request: LineRequest) -> list[OutboxMessage]:
    region = ctx.settings.DEFAULT_REGION
    return _in_line_thread(request, blocks.line_decision_reply(request, region=region),
                           line_news_metadata(request, region))


def line_status_messages(ctx: BotContext, change: StatusChange) -> list[OutboxMessage]:
    region = ctx.settings.DEFAULT_REGION
    return _in_line_thread(change.request, blocks.line_status_reply(change, region=region),
                           status_change_metadata(change, region))


def _set_message(ctx: BotContext, view: OffboardingView, message: dict[str, object]
                 ) -> list[OutboxMessage]:
    """The approval message set to ``message``, its metadata the request as it is now
    (Slack replaces a message's metadata with an update's)."""
    o = view.offboarding
    if not o.approval_channel or not o.approval_ts:
        return []
    return [OutboxMessage("chat.update", {"channel": o.approval_channel, "ts": o.approval_ts,
                                          **message, "metadata": _metadata(ctx, view)})]


def _update(ctx: BotContext, view: OffboardingView) -> list[OutboxMessage]:
    return _set_message(ctx, view, blocks.decided_message(
        view, region=ctx.settings.DEFAULT_REGION))


def decision_messages(ctx: BotContext, view: OffboardingView) -> list[OutboxMessage]:
    """The message loses its buttons; the thread says who decided (each line's news follows,
    queued with each line's own move)."""
    o = view.offboarding
    step = bundle_ending(ctx, view)  # a cancelled Workflow Builder step run fails
    if not o.approval_channel or not o.approval_ts:
        return step
    return [*_update(ctx, view), _thread(o.approval_channel, o.approval_ts,
                                         blocks.decision_reply(view), _metadata(ctx, view)),
            *step]


def summary_messages(ctx: BotContext, view: OffboardingView) -> list[OutboxMessage]:
    o = view.offboarding
    if not o.approval_channel or not o.approval_ts:
        return []
    return [_thread(o.approval_channel, o.approval_ts,
                    blocks.summary_reply(view, region=ctx.settings.DEFAULT_REGION),
                    _metadata(ctx, view)),
            *_update(ctx, view)]


def tellers(ctx: BotContext) -> BundleTellers:
    return BundleTellers(decision=lambda view: decision_messages(ctx, view),
                         line=lambda line: line_decision_messages(ctx, line),
                         summary=lambda view: summary_messages(ctx, view),
                         refresh=lambda view: _update(ctx, view),
                         progress=lambda view: progress_messages(ctx, view))


def progress_messages(ctx: BotContext, view: OffboardingView) -> list[OutboxMessage]:
    """An approval counted, more needed: the message, its buttons kept, shows who approved;
    the thread says how many more approvers are needed."""
    o = view.offboarding
    if not o.approval_channel or not o.approval_ts:
        return []
    return [*_set_message(ctx, view, blocks.approval_message(
                view, region=ctx.settings.DEFAULT_REGION)),
            _thread(o.approval_channel, o.approval_ts, blocks.progress_reply(view),
                    _metadata(ctx, view))]


def expiry_messages(ctx: BotContext, view: OffboardingView) -> list[OutboxMessage]:
    """The requester is told; the message loses its buttons and its thread says why."""
    o = view.offboarding
    notice = blocks.expired_notice(view)
    messages = [OutboxMessage("chat.postMessage", {"channel": o.requester_id, **notice})]
    if o.approval_channel and o.approval_ts:
        messages += [*_update(ctx, view), _thread(o.approval_channel, o.approval_ts, notice,
                                                  _metadata(ctx, view))]
    return messages + bundle_ending(ctx, view)


def reminder_messages(ctx: BotContext, view: OffboardingView) -> list[OutboxMessage]:
    o = view.offboarding
    if not o.approval_channel or not o.approval_ts:
        return []
    return [_thread(o.approval_channel, o.approval_ts,
                    blocks.reminder_reply(view, ctx.settings.APPROVERS), _metadata(ctx, view))]


async def settle(ctx: BotContext) -> None:
    """The follower's round: lines a crash left unplaced are placed and told; requests
    whose every line has ended get their summary, once (each queued with its move)."""
    await ctx.offboarding.settle(tellers(ctx))
    await complete_bundles(ctx)


async def complete_bundles(ctx: BotContext, offboarding_id: str | None = None) -> None:
    """Workflow Builder step runs of approved leaver's requests complete once every line is
    placed or has ended: each at most once (the outbox's one call per request and purpose),
    whichever replica, click or round sees it first. ``offboarding_id``: that one only."""
    for run in await ctx.steps.running_bundles([OffboardingState.APPROVED.value,
                                                OffboardingState.DONE.value]):
        if run.offboarding_id is None or offboarding_id not in (None, run.offboarding_id):
            continue
        view = await ctx.offboarding.view(run.offboarding_id)
        call = bundle_success(view) if view is not None else None
        if call is not None:
            await ctx.repo.enqueue_once(run.offboarding_id, call, WORKFLOW_STEP)
