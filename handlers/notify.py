"""What goes to Slack after a decision, a status change or an expiry: rendered here, queued
in the outbox (with the change it reports), and sent by the outbox sender."""

from __future__ import annotations

from blocks import approval, helpdesk, status
from bot.context import BotContext
from bot.domain import LineRequest, RequestState, StatusChange
from bot.storage.repository import OutboxMessage


def _thread(request: LineRequest, message: dict[str, object]) -> OutboxMessage:
    return OutboxMessage("chat.postMessage", {"channel": request.approval_channel,
                                              "thread_ts": request.approval_ts, **message})


def _helpdesk(request: LineRequest, message: dict[str, object]) -> list[OutboxMessage]:
    """The same news in the help-desk thread the request came from, if any."""
    if not request.helpdesk_channel or not request.helpdesk_ts:
        return []
    return [OutboxMessage("chat.postMessage", {"channel": request.helpdesk_channel,
                                               "thread_ts": request.helpdesk_ts, **message})]


def _update(ctx: BotContext, request: LineRequest) -> OutboxMessage:
    message = approval.decided_message(request, region=ctx.settings.DEFAULT_REGION)
    return OutboxMessage("chat.update", {"channel": request.approval_channel,
                                         "ts": request.approval_ts, **message})


def decision_messages(ctx: BotContext, request: LineRequest) -> list[OutboxMessage]:
    """The approval message loses its buttons; the thread says what happened."""
    if not request.approval_channel or not request.approval_ts:
        return []
    if request.state is RequestState.CANCELLED:
        reply = status.cancelled_reply(request)
    elif request.state is RequestState.FAILED:
        reply = status.failure_reply(request)
    elif request.state in (RequestState.SUBMITTED, RequestState.COMPLETED):
        reply = status.submitted_reply(request)
    elif request.state is RequestState.SUBMITTING and request.error:
        reply = status.unconfirmed_reply(request)
    else:
        reply = status.pending_submission_reply(request)
    return [_update(ctx, request), _thread(request, reply), *_helpdesk(request, reply)]


def status_messages(ctx: BotContext, change: StatusChange) -> list[OutboxMessage]:
    request = change.request
    if not request.approval_channel or not request.approval_ts:
        return []
    reply = status.status_reply(change)
    messages = [_thread(request, reply), *_helpdesk(request, reply)]
    if change.final:
        messages.append(_update(ctx, request))
        if request.helpdesk_channel:
            # The person the order is for hears the end of it directly.
            messages.append(OutboxMessage("chat.postMessage", {
                "channel": request.requester_id,
                **helpdesk.final_dm(request, change.new_status,
                                    region=ctx.settings.DEFAULT_REGION)}))
    return messages


def expiry_messages(ctx: BotContext, request: LineRequest) -> list[OutboxMessage]:
    notice = status.expired_notice(request, region=ctx.settings.DEFAULT_REGION)
    messages = [OutboxMessage("chat.postMessage", {"channel": request.requester_id,
                                                   **notice})]
    if request.approval_channel and request.approval_ts:
        messages[:0] = [_update(ctx, request),
                        _thread(request, notice)]
    return messages + _helpdesk(request, notice)


async def publish_decision(ctx: BotContext, request: LineRequest) -> None:
    await ctx.repo.enqueue(request.id, decision_messages(ctx, request))
    await ctx.outbox.deliver()


def reminder_messages(ctx: BotContext, request: LineRequest) -> list[OutboxMessage]:
    if not request.approval_channel or not request.approval_ts:
        return []
    return [_thread(request, status.reminder_reply(request, ctx.settings.APPROVERS,
                                                         region=ctx.settings.DEFAULT_REGION))]
