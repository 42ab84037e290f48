"""What a request tells Slack once decided, expired, reminded or approved in part, rendered
once for both kinds of request: a single-line request and a leaver's ``/offboard-lines``
request. Queued in the outbox (with the move it reports) and sent by the outbox sender.

A kind is told through ``Told``: where its approval message is, who asked, the metadata its
messages carry, and the blocks functions that word each piece of news (``of_request``,
``of_leaver``). The packages below are the same for both: the decision updates the message
and replies in its thread; the expiry tells the requester directly, updates the message and
says why in its thread; a reminder and an approval that leaves more to come reply in the
thread. A Workflow Builder step's completion goes last, after the news it sums up.

Every reply in the approval thread and the help-desk thread, and every update of the approval
message, carries the request's metadata (``blocks.approval.metadata``); Slack replaces a
message's metadata with an update's, so an update carries the request as it is now. Direct
messages to people don't."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from blocks.approval import message as approval
from blocks.approval.metadata import bundle_metadata, line_order_metadata, with_metadata
from blocks.offboarding import messages as leavers
from blocks.orders import status
from bot.approval.warnings import ApprovalWarning
from bot.context import BotContext
from bot.domain import LineRequest, RequestState
from bot.offboarding.models import OffboardingView
from bot.storage.outbox_queue import OutboxMessage
from handlers.workflow_steps.completion import bundle_ending, line_completion

Message = dict[str, Any]
Render = Callable[[], Message]


@dataclass(frozen=True)
class Thread:
    """A posted message, and so its thread: no channel or ts before it is posted."""

    channel: str | None
    ts: str | None

    @property
    def posted(self) -> bool:
        return bool(self.channel and self.ts)


def reply(thread: Thread, message: Message, metadata: dict[str, Any]) -> OutboxMessage:
    """``message`` in ``thread``, carrying ``metadata``."""
    return OutboxMessage("chat.postMessage", {"channel": thread.channel, "thread_ts": thread.ts,
                                              **with_metadata(message, metadata)})


def replies(thread: Thread, message: Message, metadata: dict[str, Any]
            ) -> list[OutboxMessage]:
    """``reply``, or nothing while there is no such thread."""
    if not thread.posted:
        return []
    return [reply(thread, message, metadata)]


def update(thread: Thread, message: Message, metadata: dict[str, Any]) -> OutboxMessage:
    """The message of ``thread`` set to ``message``, carrying ``metadata``."""
    return OutboxMessage("chat.update", {"channel": thread.channel, "ts": thread.ts,
                                         **with_metadata(message, metadata)})


@dataclass(frozen=True)
class Helpdesk:
    """The help-desk thread a request came from, and the decision's reply worded for the
    people there (see ``status.helpdesk_audience``)."""

    thread: Thread
    decision_reply: Render


@dataclass(frozen=True)
class Told:
    """One request as its news tells it: what differs between the two kinds. Renders are
    called only for the news that needs them."""

    approval: Thread
    requester_id: str
    metadata: dict[str, Any]  # the request as it is now
    decided: Render  # the approval message once decided: no buttons
    decision_reply: Render
    expired_notice: Render  # to the requester, and in the threads
    reminder_reply: Render
    progress_message: Render  # an approval counted, more needed: the buttons kept
    progress_reply: Render
    ending: Callable[[], list[OutboxMessage]]  # the Workflow Builder step's completion
    helpdesk: Helpdesk | None = None
    # A leaver's request has always told its requester before its approval thread: kept,
    # so the outbox sends what it always sent, in the same order.
    requester_first: bool = False

    def thread(self, message: Message) -> OutboxMessage:
        return reply(self.approval, message, self.metadata)

    def in_helpdesk(self, message: Message, metadata: dict[str, Any] | None = None
                    ) -> list[OutboxMessage]:
        """``message`` in the help-desk thread the request came from, if any."""
        if self.helpdesk is None:
            return []
        return [reply(self.helpdesk.thread, message, metadata or self.metadata)]

    def refresh(self) -> OutboxMessage:
        """The approval message as decided, with the request's metadata."""
        return update(self.approval, self.decided(), self.metadata)


def decision_messages(told: Told) -> list[OutboxMessage]:
    """The approval message loses its buttons; the thread (and the help-desk thread) says
    what happened."""
    step = told.ending()
    if not told.approval.posted:
        return step
    local = told.in_helpdesk(told.helpdesk.decision_reply()) if told.helpdesk else []
    return [told.refresh(), told.thread(told.decision_reply()), *local, *step]


def expiry_messages(told: Told) -> list[OutboxMessage]:
    """The requester is told; the message loses its buttons and its threads say why."""
    notice = told.expired_notice()
    dm = [OutboxMessage("chat.postMessage", {"channel": told.requester_id, **notice})]
    approval_side = [told.refresh(), told.thread(notice)] if told.approval.posted else []
    first = dm + approval_side if told.requester_first else approval_side + dm
    return first + told.in_helpdesk(notice) + told.ending()


def reminder_messages(told: Told) -> list[OutboxMessage]:
    """The approvers are reminded in the approval thread."""
    if not told.approval.posted:
        return []
    return [told.thread(told.reminder_reply())]


def progress_messages(told: Told) -> list[OutboxMessage]:
    """An approval counted, more needed: the message, its buttons kept, shows who approved;
    the thread says how many more approvers are needed."""
    if not told.approval.posted:
        return []
    return [update(told.approval, told.progress_message(), told.metadata),
            told.thread(told.progress_reply())]


def of_request(ctx: BotContext, request: LineRequest, *,
               warnings: list[ApprovalWarning] | None = None) -> Told:
    """A single-line request (``warnings``: what its redrawn approval message must still
    show the next approver)."""
    region = ctx.settings.DEFAULT_REGION
    helpdesk = None
    if request.helpdesk_channel and request.helpdesk_ts:
        helpdesk = Helpdesk(Thread(request.helpdesk_channel, request.helpdesk_ts),
                            lambda: _decision_reply(request,
                                                   status.helpdesk_audience(request)))
    return Told(
        approval=Thread(request.approval_channel, request.approval_ts),
        requester_id=request.requester_id,
        metadata=line_order_metadata(request, region),
        decided=lambda: approval.decided_message(request, region=region),
        decision_reply=lambda: _decision_reply(request),
        expired_notice=lambda: status.expired_notice(request, region=region),
        reminder_reply=lambda: approval.with_reminder_progress(
            status.reminder_reply(request, ctx.settings.APPROVERS, region=region), request),
        progress_message=lambda: approval.approval_message(request, region=region,
                                                           warnings=warnings),
        progress_reply=lambda: approval.progress_reply(request),
        ending=lambda: line_completion(ctx, request),
        helpdesk=helpdesk)


def _decision_reply(request: LineRequest, audience: list[str] | None = None) -> Message:
    """A single-line request's thread news of its decision, as far as it has gone."""
    if request.state is RequestState.CANCELLED:
        return status.cancelled_reply(request, audience)
    if request.state is RequestState.FAILED:
        return status.failure_reply(request, audience)
    if request.state in (RequestState.SUBMITTED, RequestState.COMPLETED):
        return status.submitted_reply(request, audience)
    if request.state is RequestState.SUBMITTING and request.error:
        return status.unconfirmed_reply(request)
    return status.pending_submission_reply(request)


def of_leaver(ctx: BotContext, view: OffboardingView) -> Told:
    """A leaver's request: every line on its news (each line's own news is
    ``handlers.offboarding.news``'s), no help-desk thread."""
    region = ctx.settings.DEFAULT_REGION
    o = view.offboarding
    return Told(
        approval=Thread(o.approval_channel, o.approval_ts),
        requester_id=o.requester_id,
        metadata=bundle_metadata(view, region),
        decided=lambda: leavers.decided_message(view, region=region),
        decision_reply=lambda: leavers.decision_reply(view),
        expired_notice=lambda: leavers.expired_notice(view),
        reminder_reply=lambda: leavers.reminder_reply(view, ctx.settings.APPROVERS),
        progress_message=lambda: leavers.approval_message(view, region=region),
        progress_reply=lambda: leavers.progress_reply(view),
        ending=lambda: bundle_ending(ctx, view),
        requester_first=True)
