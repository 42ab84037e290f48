"""A single-line request's own news: its decision (or, for a line of a leaver's request, that
line's news in the request's thread) and each status change MobProc reports. Rendered here,
queued in the outbox (with the change it reports), and sent by the outbox sender; what every
request tells alike (the decision's update and reply, expiry, reminders) is
``handlers.approval.news``'s.

Every message about the order in its approval thread and its help-desk thread, and every
update of its approval message, carries the line order's metadata (``blocks.approval.metadata``):
the order as that message tells it. Direct messages to people don't."""

from __future__ import annotations

from blocks.approval.metadata import status_change_metadata
from blocks.helpdesk import replies as helpdesk
from blocks.orders import status
from bot.context import BotContext
from bot.domain import LineRequest, StatusChange
from bot.storage.outbox_queue import OutboxMessage
from handlers.approval import news
from handlers.offboarding import news as offboarding_news


def decision_messages(ctx: BotContext, request: LineRequest) -> list[OutboxMessage]:
    """The approval message loses its buttons; the thread says what happened."""
    if request.offboarding_id:  # one line of a leaver's request: news in its thread only
        return offboarding_news.line_decision_messages(ctx, request)
    return news.decision_messages(news.of_request(ctx, request))


def status_messages(ctx: BotContext, change: StatusChange) -> list[OutboxMessage]:
    request = change.request
    if request.offboarding_id:
        return offboarding_news.line_status_messages(ctx, change)
    told = news.of_request(ctx, request)
    if not told.approval.posted:
        return []
    reply = status.status_reply(change)
    metadata = status_change_metadata(change, ctx.settings.DEFAULT_REGION)
    messages = [news.reply(told.approval, reply, metadata)]
    if told.helpdesk is not None:
        local = status.status_reply(change, status.helpdesk_audience(request))
        messages += told.in_helpdesk(local, metadata)
    if change.final:
        messages.append(told.refresh())
        if request.helpdesk_channel:
            # The person the order is for hears the end of it directly.
            messages.append(OutboxMessage("chat.postMessage", {
                "channel": request.requester_id,
                **helpdesk.final_dm(request, change.new_status,
                                    region=ctx.settings.DEFAULT_REGION)}))
    return messages
