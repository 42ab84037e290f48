"""The App Home tab: your requests, what waits for you, the latest decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from blocks.approval.message import cancel_confirm, more_approvals, people
from blocks.ids import (
    HOME_APPROVE_ACTION,
    HOME_CANCEL_ACTION,
    HOME_OFFBOARD_APPROVE_ACTION,
    HOME_OFFBOARD_CANCEL_ACTION,
    HOME_START_ACTION,
)
from blocks.line import line_number
from blocks.mobproc_approvals.messages import home_section
from blocks.text import context, escape_mrkdwn, header, plain, section, slack_date
from bot.domain import ORDER_KINDS, LineRequest, MobProcApproval, RequestState, humanize_status
from bot.mobproc.models import TransactionType
from bot.offboarding.models import LINE_DONE, Offboarding, OffboardingState, OffboardingView

HOME_NUMBER_CALLBACK = "home_number"
NUMBER_BLOCK = "number"
MAX_OWN = 10
MAX_WAITING = 10
MAX_DECIDED = 20


def _status(req: LineRequest) -> str:
    text = humanize_status(req.state.value)
    if req.order_id:
        text += f" · MobProc order {escape_mrkdwn(req.order_id)}: " \
                f"{humanize_status(req.order_status)}"
    return text


def _link(req: LineRequest | Offboarding) -> str:
    return f" · <{req.approval_permalink}|thread>" if req.approval_permalink else ""


def _approvals(approved_by: tuple[str, ...], required: int, you: bool) -> str:
    """Where a request needing several approvers stands, for the Home's waiting list."""
    if required <= 1:
        return ""
    remaining = max(required - len(approved_by), 0)
    more = "another approver" if remaining == 1 else f"{remaining} more approvers"
    if you:
        return f"\n:white_check_mark: Approved by you · waiting for {more}"
    if approved_by:
        return f"\nApproved by {people(approved_by)} · {more_approvals(remaining)}"
    return f"\nNeeds {required} approvers"


def _waiting(what: str, subject_id: str, approved_by: tuple[str, ...], required: int,
             viewer: str | None, actions: tuple[str, str]) -> list[dict[str, Any]]:
    """One item of the waiting list, a single request or a leaver's: what it is, where it
    stands, and Approve (unless ``viewer`` approved it already) and Cancel."""
    mine = viewer is not None and viewer in approved_by
    approve_action, cancel_action = actions
    approve = [] if mine else [
        {"type": "button", "action_id": approve_action, "value": subject_id,
         "style": "primary", "text": plain("Approve", 75)}]
    return [section(f"{what}{_approvals(approved_by, required, mine)}"),
            {"type": "actions", "block_id": f"decide_{subject_id}", "elements": [
                *approve,
                {"type": "button", "action_id": cancel_action, "value": subject_id,
                 "text": plain("Cancel", 75)}]}]


def _bundle(view: OffboardingView) -> str:
    o = view.offboarding
    return (f"*Offboarding* {_lines_of(view)} for <@{o.requester_id}>"
            f"\nAsked {slack_date(o.created_at)}")


def _withdraw(action: str, subject_id: str) -> dict[str, Any]:
    # Asked by mistake, or the phone turned up: the requester may withdraw it here.
    return {"type": "button", "action_id": action, "value": subject_id,
            "text": plain("Cancel request", 75),
            "confirm": cancel_confirm("Nothing will be ordered.")}


def _own(req: LineRequest, region: str) -> dict[str, Any]:
    number = line_number(req.service, region)
    block = section(f"*{req.kind.title}* {number} · {_status(req)}{_link(req)}")
    if req.state is RequestState.PENDING:
        block["accessory"] = _withdraw(HOME_CANCEL_ACTION, req.id)
    return block


def _bundle_state(view: OffboardingView) -> str:
    """Where a leaver's request stands, in words (its lines' orders once approved)."""
    o = view.offboarding
    total = len(view.orders)
    if o.state is OffboardingState.PENDING:
        return "Waiting for approval"
    if o.state is OffboardingState.CANCELLED:
        return "Cancelled · nothing was ordered"
    if o.state is OffboardingState.EXPIRED:
        return "Expired · nobody decided in time, nothing was ordered"
    completed = sum(1 for r in view.orders if r.state is RequestState.COMPLETED)
    if o.state is OffboardingState.DONE:
        return f"Done · {completed} of {total} orders completed"
    ended = sum(1 for r in view.orders if r.state in LINE_DONE)
    return f"Approved · {ended} of {total} orders ended"



def _own_bundle(view: OffboardingView) -> dict[str, Any]:
    """A leaver's request in its requester's list: one entry for all its lines, with its
    approval message's link and, while it waits, a Cancel."""
    o = view.offboarding
    block = section(f"*Offboarding* {_lines_of(view)} · {_bundle_state(view)}{_link(o)}")
    # As soon as it waits, like a single request: a still queued message leaves the queue
    # with the cancel (``OffboardingService.cancel``).
    if o.state is OffboardingState.PENDING:
        block["accessory"] = _withdraw(HOME_OFFBOARD_CANCEL_ACTION, o.id)
    return block


def _asked_at(item: LineRequest | OffboardingView) -> datetime:
    return item.offboarding.created_at if isinstance(item, OffboardingView) \
        else item.created_at


def _by(user_id: str | None) -> str:
    return f" by <@{user_id}>" if user_id else ""


def _decided(req: LineRequest, region: str) -> str:
    return (f"{req.kind.title} {line_number(req.service, region)}: {_status(req)}"
            f"{_by(req.decided_by)}{_link(req)}")


def _decided_bundle(view: OffboardingView) -> str:
    """A leaver's request among the latest decisions: once, not line by line."""
    o = view.offboarding
    return (f"Offboarding {_lines_of(view)}: {_bundle_state(view)}{_by(o.decided_by)}"
            f"{_link(o)}")


def _lines_of(view: OffboardingView) -> str:
    n = len(view.orders)
    name = escape_mrkdwn(view.offboarding.employee_name or view.offboarding.employee_ref)
    return f"{n} line{'s' if n != 1 else ''} of *{name}*"


def home_view(*, own: list[LineRequest], waiting: list[LineRequest] | None,
              decided: list[LineRequest | OffboardingView], region: str = "US",
              mobproc: list[MobProcApproval] | None = None,
              viewer: str | None = None,
              bundles: list[OffboardingView] | None = None,
              own_bundles: list[OffboardingView] | None = None) -> dict[str, Any]:
    """``waiting`` is None for someone who is not an approver, and ``bundles`` the leavers'
    requests waiting for them (with Approve and Cancel, as a single request); ``mobproc``:
    what waits for their decision in MobProc's own approval workflow (shown only when
    something does). ``own_bundles``: the leavers' requests the viewer asked for, each
    listed once among their single requests.
    A waiting request ``viewer`` has approved already (it needs several approvers) shows
    as approved by them, without an Approve button for them."""
    blocks: list[dict[str, Any]] = [header("Phone line orders")]
    blocks.append({"type": "actions", "block_id": "start", "elements": [
        {"type": "button", "action_id": f"{HOME_START_ACTION}_{kind.transaction_type.value}",
         "value": kind.transaction_type.value, "text": plain(kind.title, 75)}
        for kind in ORDER_KINDS.values()]})

    if waiting is not None:
        blocks += [{"type": "divider"}, section("*Waiting for your decision*")]
        bundles = bundles or []
        if not waiting and not bundles:
            blocks.append(context("Nothing is waiting for you."))
        # One budget for both kinds: the Home stays within Slack's 100 blocks.
        bundles = bundles[:MAX_WAITING]
        for view in bundles:
            blocks += _waiting(_bundle(view), view.offboarding.id, view.approved_by,
                               view.approvals_required, viewer,
                               (HOME_OFFBOARD_APPROVE_ACTION, HOME_OFFBOARD_CANCEL_ACTION))
        for req in waiting[:MAX_WAITING - len(bundles)]:
            blocks += _waiting(
                f"*{req.kind.title}* {line_number(req.service, region)} for "
                f"<@{req.requester_id}>{_link(req)}\nAsked {slack_date(req.created_at)}",
                req.id, req.approved_by, req.approvals_required, viewer,
                (HOME_APPROVE_ACTION, HOME_CANCEL_ACTION))

    if mobproc:
        blocks += home_section(mobproc, region=region)

    blocks += [{"type": "divider"}, section("*Your requests*")]
    own_bundles = own_bundles or []
    if not own and not own_bundles:
        blocks.append(context("You have no line orders yet. Start one above, or use "
                              "/suspend-line 415-555-0199."))
    # Both kinds in one list, newest first, within one budget.
    mine: list[LineRequest | OffboardingView] = [*own, *own_bundles]
    mine.sort(key=_asked_at, reverse=True)
    for item in mine[:MAX_OWN]:
        blocks.append(_own_bundle(item) if isinstance(item, OffboardingView)
                      else _own(item, region))

    blocks += [{"type": "divider"}, section("*Latest decisions*")]
    if not decided:
        blocks.append(context("No decisions yet."))
    for item in decided[:MAX_DECIDED]:
        blocks.append(context(_decided_bundle(item) if isinstance(item, OffboardingView)
                              else _decided(item, region)))
    return {"type": "home", "blocks": blocks[:100]}


def number_modal(kind_value: str, *, error: str | None = None) -> dict[str, Any]:
    """Asks for the line's number before the order form (from the Home tab)."""
    kind = ORDER_KINDS[TransactionType(kind_value)]
    return {
        "type": "modal", "callback_id": HOME_NUMBER_CALLBACK, "private_metadata": kind_value,
        "title": plain(kind.title, 24), "submit": plain("Find line", 24),
        "close": plain("Cancel", 24),
        "blocks": [{"type": "input", "block_id": NUMBER_BLOCK,
                    "label": plain("Line number", 2000),
                    "hint": plain("Any common form, e.g. 415-555-0199 or +1 415 555 0199", 2000),
                    "element": {"type": "plain_text_input", "action_id": "value",
                                "max_length": 60}}],
    }

