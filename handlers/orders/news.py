"""What goes to Slack after a decision, a status change or an expiry: rendered here, queued
in the outbox (with the change it reports), and sent by the outbox sender.

Every message about the order in its approval thread and its help-desk thread, and every
update of its approval message, carries the line order's metadata (``blocks.approval.metadata``):
the order as that message tells it. Direct messages to people don't."""

from __future__ import annotations

from typing import Any

from blocks.approval import message as approval
from blocks.approval.metadata import line_order_metadata, status_change_metadata, with_metadata
from blocks.helpdesk import replies as helpdesk
from blocks.orders import status
from bot.context import BotContext
from bot.domain import LineRequest, RequestState, StatusChange
from bot.storage.outbox_queue import OutboxMessage
from handlers.offboarding import news as offboarding_news
from handlers.workflow_steps.completion import line_completion


def _thread(request: LineRequest, message: dict[str, object],
            metadata: dict[str, Any]) -> OutboxMessage:
    return OutboxMessage("chat.postMessage", {"channel": request.approval_channel,
                                              "thread_ts": request.approval_ts,
                                              **with_metadata(message, metadata)})


def _helpdesk(request: LineRequest, message: dict[str, object],
              metadata: dict[str, Any]) -> list[OutboxMessage]:
    """The news in the help-desk thread the request came from, if any (rendered for the
    people there: see ``status.helpdesk_audience``)."""
    if not request.helpdesk_channel or not request.helpdesk_ts:
        return []
    return [OutboxMessage("chat.postMessage", {"channel": request.helpdesk_channel,
                                               "thread_ts": request.helpdesk_ts,
                                               **with_metadata(message, metadata)})]


def _metadata(ctx: BotContext, request: LineRequest) -> dict[str, Any]:
    return line_order_metadata(request, ctx.settings.DEFAULT_REGION)


def _update(ctx: BotContext, request: LineRequest) -> OutboxMessage:
    message = approval.decided_message(request, region=ctx.settings.DEFAULT_REGION)
    return update_call(ctx, request, message)


def update_call(ctx: BotContext, request: LineRequest, message: dict[str, Any]
                ) -> OutboxMessage:
    """The approval message set to ``message``, its metadata the order as it is now (Slack
    replaces a message's metadata with an update's)."""
    return OutboxMessage("chat.update", {"channel": request.approval_channel,
                                         "ts": request.approval_ts,
                                         **with_metadata(message, _metadata(ctx, request))})


def decision_messages(ctx: BotContext, request: LineRequest) -> list[OutboxMessage]:
    """The approval message loses its buttons; the thread says what happened."""
    if request.offboarding_id:  # one line of a leaver's request: news in its thread only
        return offboarding_news.line_decision_messages(ctx, request)
    # A Workflow Builder step run's completion goes last: after the news it sums up.
    step = line_completion(ctx, request)
    if not request.approval_channel or not request.approval_ts:
        return step
    reply = _decision_reply(request)
    local = _decision_reply(request, status.helpdesk_audience(request))
    metadata = _metadata(ctx, request)
    return [_update(ctx, request), _thread(request, reply, metadata),
            *_helpdesk(request, local, metadata), *step]


def _decision_reply(request: LineRequest, audience: list[str] | None = None
                    ) -> dict[str, object]:
    if request.state is RequestState.CANCELLED:
        return status.cancelled_reply(request, audience)
    if request.state is RequestState.FAILED:
        return status.failure_reply(request, audience)
    if request.state in (RequestState.SUBMITTED, RequestState.COMPLETED):
        return status.submitted_reply(request, audience)
    if request.state is RequestState.SUBMITTING and request.error:
        return status.unconfirmed_reply(request)
    return status.pending_submission_reply(request)


def status_messages(ctx: BotContext, change: StatusChange) -> list[OutboxMessage]:
    request = change.request
    if request.offboarding_id:
        return offboarding_news.line_status_messages(ctx, change)
    if not request.approval_channel or not request.approval_ts:
        return []
    reply = status.status_reply(change)
    local = status.status_reply(change, status.helpdesk_audience(request))
    metadata = status_change_metadata(change, ctx.settings.DEFAULT_REGION)
    messages = [_thread(request, reply, metadata), *_helpdesk(request, local, metadata)]
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
    metadata = _metadata(ctx, request)
    if request.approval_channel and request.approval_ts:
        messages[:0] = [_update(ctx, request),
                        _thread(request, notice, metadata)]
    return messages + _helpdesk(request, notice, metadata) + line_completion(ctx, request)


def reminder_messages(ctx: BotContext, request: LineRequest) -> list[OutboxMessage]:
    if not request.approval_channel or not request.approval_ts:
        return []
    reply = status.reminder_reply(request, ctx.settings.APPROVERS,
                                  region=ctx.settings.DEFAULT_REGION)
    return [_thread(request, approval.with_reminder_progress(reply, request),
                    _metadata(ctx, request))]
