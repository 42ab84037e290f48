"""A Workflow Builder step's completion, rendered for the outbox: ``functions.completeSuccess``
with the step's outputs, or ``functions.completeError`` with a plain reason. Added to what the
move that ends a step's request renders (``handlers.approval.news``, ``handlers.offboarding.news``),
so it is queued in that move's transaction, by the one path whose move won."""

from __future__ import annotations

from bot.context import BotContext
from bot.domain import LineRequest, RequestState
from bot.offboarding.models import OffboardingState, OffboardingView
from bot.phone import format_service_number
from bot.storage.outbox_queue import OutboxMessage
from bot.workflow_steps.steps import ORDER_ID, ORDER_IDS, REQUEST_ID, STATUS

# A line of a leaver's request is placed (or has ended): the step may complete.
PLACED_OR_ENDED = frozenset({RequestState.SUBMITTED, RequestState.COMPLETED,
                             RequestState.FAILED, RequestState.CANCELLED,
                             RequestState.EXPIRED})


def success(execution_id: str, outputs: dict[str, str]) -> OutboxMessage:
    return OutboxMessage("functions.completeSuccess", {"function_execution_id": execution_id,
                                                       "outputs": outputs})


def failure(execution_id: str, reason: str) -> OutboxMessage:
    return OutboxMessage("functions.completeError", {"function_execution_id": execution_id,
                                                     "error": reason})


def line_completion(ctx: BotContext, request: LineRequest) -> list[OutboxMessage]:
    """The completion a single request's move calls for: none unless it answers a step run
    and the move ends it (placed, refused, cancelled, expired)."""
    run = request.workflow_execution_id
    if not run or request.offboarding_id:
        return []
    number = format_service_number(request.service.serviceNumber,
                                   ctx.settings.DEFAULT_REGION)
    if request.state in (RequestState.SUBMITTED, RequestState.COMPLETED):
        return [success(run, {REQUEST_ID: request.id, ORDER_ID: request.order_id or "",
                              STATUS: request.order_status or request.state.value.upper()})]
    if request.state is RequestState.FAILED:
        return [failure(run, f"MobProc refused the order for {number}: "
                             f"{request.error or 'no reason given'}")]
    if request.state is RequestState.CANCELLED:
        return [failure(run, f"The order for {number} was cancelled{_by(request.decided_by)} "
                             "before it was placed; nothing was ordered.")]
    if request.state is RequestState.EXPIRED:
        return [failure(run, f"Nobody approved the order for {number} within "
                             f"{_hours(ctx)}, so it expired; nothing was ordered.")]
    return []


def bundle_ending(ctx: BotContext, view: OffboardingView) -> list[OutboxMessage]:
    """The completion a leaver's request's cancellation or expiry calls for."""
    o = view.offboarding
    run = o.workflow_execution_id
    if not run:
        return []
    who = o.employee_name or o.employee_ref
    if o.state is OffboardingState.CANCELLED:
        return [failure(run, f"The request for {who}'s lines was cancelled"
                             f"{_by(o.decided_by)}; nothing was ordered.")]
    if o.state is OffboardingState.EXPIRED:
        return [failure(run, f"Nobody approved the request for {who}'s lines within "
                             f"{_hours(ctx)}, so it expired; nothing was ordered.")]
    return []


def bundle_success(view: OffboardingView) -> OutboxMessage | None:
    """The completion of an approved leaver's request once every line is placed or has
    ended (None before). Queued once per request under its own purpose."""
    o = view.offboarding
    run = o.workflow_execution_id
    if not run or o.state not in (OffboardingState.APPROVED, OffboardingState.DONE):
        return None
    lines = view.orders
    if not lines or any(line.state not in PLACED_OR_ENDED for line in lines):
        return None
    placed = [line for line in lines if line.order_id]
    status = f"{len(placed)} of {len(lines)} line orders placed"
    refused = [line for line in lines if line.state is RequestState.FAILED]
    if refused:
        status += f", {len(refused)} refused by MobProc"
    return success(run, {REQUEST_ID: o.id,
                         ORDER_IDS: ", ".join(line.order_id or "" for line in placed),
                         STATUS: status})


def _by(user_id: str | None) -> str:
    return f" by <@{user_id}>" if user_id else ""


def _hours(ctx: BotContext) -> str:
    hours = ctx.settings.APPROVAL_TTL_HOURS
    return f"{hours:g} hours"
