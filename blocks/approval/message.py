"""The approval message: the order MobProc confirmed, with Approve and Cancel."""

from __future__ import annotations

from typing import Any

from blocks.approval.summary import order_summary
from blocks.ids import APPROVE_ACTION, CANCEL_ACTION
from blocks.line import line_number
from blocks.text import context, escape_mrkdwn, plain, section, slack_date
from bot.approval.warnings import ApprovalWarning, WarningKind
from bot.domain import LineRequest, RequestState, humanize_status


def cancel_confirm(consequence: str) -> dict[str, Any]:
    """The confirmation a Cancel button asks for, saying what cancelling means."""
    return {"title": plain("Cancel this request?", 100), "text": plain(consequence, 300),
            "confirm": plain("Cancel request", 30), "deny": plain("Keep it", 30)}


def decision_actions(request_id: str, approve_action: str, cancel_action: str,
                     consequence: str) -> dict[str, Any]:
    """Approve and Cancel under an approval message, whichever kind of request it is."""
    return {"type": "actions", "block_id": "decision", "elements": [
        {"type": "button", "action_id": approve_action, "value": request_id,
         "style": "primary", "text": plain("Approve", 75)},
        {"type": "button", "action_id": cancel_action, "value": request_id,
         "text": plain("Cancel", 75), "confirm": cancel_confirm(consequence)}]}


def _asker(req: LineRequest) -> str:
    """Who asked, as a person wrote their name: escaped, in the notification text too."""
    return escape_mrkdwn(req.requester_name) or "Someone"


_OPEN_STATE = {RequestState.PENDING: "waiting for approval",
               RequestState.APPROVED: "approved, being placed",
               RequestState.SUBMITTING: "approved, being placed",
               RequestState.SUBMITTED: "placed with MobProc"}


def warning_text(req: LineRequest, warning: ApprovalWarning, region: str) -> str:
    if warning.kind is WarningKind.NOT_THE_HOLDER:
        return (f"{_asker(req)} asks to {req.kind.verb} a line held by "
                f"{escape_mrkdwn(warning.holder or 'someone else')}.")
    other = warning.other
    assert other is not None
    state = _OPEN_STATE.get(other.state, humanize_status(other.state.value))
    if other.order_id:
        state += f", MobProc order {escape_mrkdwn(other.order_id)}"
    link = f" (<{other.approval_permalink}|thread>)" if other.approval_permalink else ""
    return (f"{line_number(req.service, region)} already has an open order from this bot: "
            f"{other.kind.noun} asked by <@{other.enterer}> {slack_date(other.created_at)}, "
            f"{state}{link}.")


def warnings_section(warned: list[tuple[LineRequest, list[ApprovalWarning]]], region: str, *,
                     name_lines: bool = False) -> dict[str, Any]:
    """The "Check before approving" block of an approval message: a single request's
    warnings, or each line's of a leaver's request (``name_lines``: under its number)."""
    items: list[str] = []
    for req, warnings in warned:
        if name_lines:
            items.append(f"*{line_number(req.service, region)}*")
        items += [f"• {warning_text(req, w, region)}" for w in warnings]
    return section(":warning: *Check before approving:*\n" + "\n".join(items),
                   block_id="warnings")


def warnings_count(count: int) -> str:
    """What a message's fallback text adds for its warnings."""
    return f" ({count} warning{'s' if count > 1 else ''})" if count else ""


_NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}


def people(user_ids: tuple[str, ...] | list[str]) -> str:
    """``<@a>``, ``<@a> and <@b>``, ``<@a>, <@b> and <@c>``."""
    mentions = [f"<@{u}>" for u in user_ids]
    return mentions[0] if len(mentions) == 1 else \
        f"{', '.join(mentions[:-1])} and {mentions[-1]}"


def more_approvals(remaining: int) -> str:
    return "1 more approval needed" if remaining == 1 else \
        f"{remaining} more approvals needed"


def approvals_status(approved_by: tuple[str, ...], required: int) -> str | None:
    """Where a request needing several approvers stands ("Approved by @a — 1 more approval
    needed"); None for a request one approver decides."""
    if required <= 1:
        return None
    remaining = max(required - len(approved_by), 0)
    if not approved_by:
        return (f":busy_busts_in_silhouette: Needs {required} approvers (not the "
                "requester); each approves once.")
    return (f":ballot_box_with_check: Approved by {people(approved_by)} — "
            f"{more_approvals(remaining)}")


def progress_reply(req: LineRequest) -> dict[str, Any]:
    """The thread's news when an approval lands and more are needed."""
    return approval_progress_reply(req.approved_by, req.approvals_required)


def approval_progress_reply(approved_by: tuple[str, ...], required: int) -> dict[str, Any]:
    """"Approved by @a; one more approver needed." (a single order or a leaver's lines)"""
    remaining = max(required - len(approved_by), 0)
    count = _NUMBERS.get(remaining, str(remaining))
    text = (f":ballot_box_with_check: Approved by {people(approved_by)}; {count} more "
            f"approver{'s' if remaining > 1 else ''} needed.")
    return {"text": text.replace(":ballot_box_with_check: ", ""), "blocks": [section(text)]}


def approval_message(req: LineRequest, *, region: str = "US",
                     warnings: list[ApprovalWarning] | None = None) -> dict[str, Any]:
    """Its buttons stay until the last approval a request needs (``approvals_required``);
    until then it says who has approved and how many more are needed."""
    blocks = order_summary(req, region)
    if warnings:
        # Right under who asks for what: the first thing an approver reads after it.
        blocks[2:2] = [warnings_section([(req, warnings)], region)]
    status = approvals_status(req.approved_by, req.approvals_required)
    if status:
        blocks.append(section(status, block_id="approvals"))
    blocks.append(context(f"Requested by <@{req.requester_id}> · reference "
                          f"`{escape_mrkdwn(req.external_order_number)}`"))
    blocks.append(decision_actions(req.id, APPROVE_ACTION, CANCEL_ACTION,
                                   "Nothing will be ordered."))
    number = line_number(req.service, region)
    text = f"{_asker(req)} asks to {req.kind.verb} {number}: approval needed"
    if req.approvals_required > 1:
        text += f" ({len(req.approved_by)} of {req.approvals_required} approvals)"
    text += warnings_count(len(warnings or []))
    return {"text": text, "blocks": blocks}


def reminder_progress(approved_by: tuple[str, ...], required: int) -> str | None:
    """What a reminder adds for a request (of either kind) needing several approvers."""
    if required <= 1:
        return None
    if not approved_by:
        return f"It needs {required} approvers; none has approved yet."
    remaining = max(required - len(approved_by), 0)
    return f"Approved by {people(approved_by)}: {more_approvals(remaining)}."


def decision_line(req: LineRequest) -> str:
    who = f"<@{req.decided_by}>" if req.decided_by else "someone"
    when = slack_date(req.decided_at)
    if req.state is RequestState.CANCELLED:
        return f":no_entry_sign: Cancelled by {who} on {when}. Nothing was ordered."
    if req.state is RequestState.EXPIRED:
        return f":hourglass: Expired on {when}: nobody decided in time. Nothing was ordered."
    if req.state is RequestState.FAILED:
        return (f":x: Approved by {who} on {when}, but MobProc refused the order: "
                f"{escape_mrkdwn(req.error or 'no reason given')}")
    line = f":white_check_mark: Approved by {who} on {when}"
    if req.order_id:
        line += f" · MobProc order *{escape_mrkdwn(req.order_id)}*"
        line += f" · {humanize_status(req.order_status)}"
    elif req.state is RequestState.SUBMITTING and req.error:
        line += " · :warning: MobProc's answer was lost; checking whether it was placed"
    else:
        line += " · being placed with MobProc"
    return line


def decided_message(req: LineRequest, *, region: str = "US") -> dict[str, Any]:
    blocks = order_summary(req, region)
    blocks[0] = {"type": "header", "text": plain(req.kind.title, 150)}
    blocks.append(section(decision_line(req)))
    blocks.append(context(f"Requested by <@{req.requester_id}> · reference "
                          f"`{escape_mrkdwn(req.external_order_number)}`"))
    state = {RequestState.CANCELLED: "cancelled", RequestState.FAILED: "refused by MobProc",
             RequestState.EXPIRED: "expired"}.get(req.state, "approved")
    text = f"Request to {req.kind.verb} {line_number(req.service, region)} {state}"
    if req.order_id:
        text += f": MobProc order {req.order_id}, {humanize_status(req.order_status)}"
    return {"text": text, "blocks": blocks}


def requester_notice(req: LineRequest, permalink: str | None, *, region: str = "US"
                     ) -> dict[str, Any]:
    where = f"<{permalink}|approval request>" if permalink else "approval request"
    number = line_number(req.service, region)
    text = (f":inbox_tray: Your request to {req.kind.verb} {number} is waiting "
            f"for an approver. I'll post every update in the thread of the {where}.")
    return {"text": text.replace(":inbox_tray: ", ""), "blocks": [section(text)]}


def with_reminder_progress(reply: dict[str, Any], req: LineRequest) -> dict[str, Any]:
    """A reminder that also says how many approvals are still needed (when several are)."""
    note = reminder_progress(req.approved_by, req.approvals_required)
    if note is None:
        return reply
    return {**reply, "text": f"{reply.get('text', '')} {note}",
            "blocks": [*reply.get("blocks", []), context(note)]}
