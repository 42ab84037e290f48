"""MobProc's own approvals in Slack: the direct message, the reason modal, the notices."""

from __future__ import annotations

from typing import Any

from blocks.approval.summary import property_text
from blocks.ids import (
    MOBPROC_APPROVE_ACTION,
    MOBPROC_REASON_BLOCK,
    MOBPROC_REJECT_ACTION,
    MOBPROC_REJECT_CALLBACK,
)
from blocks.text import (
    context,
    escape_mrkdwn,
    fields_section,
    header,
    plain,
    section,
    slack_date,
    truncate,
)
from bot.domain import ORDER_KINDS, ApprovalState, MobProcApproval, humanize_status
from bot.mobproc import assumed
from bot.mobproc.models import TransactionType
from bot.mobproc_approvals.service import NOT_ELIGIBLE, NOT_READY, Answer, Outcome
from bot.phone import format_service_number

MAX_PROPERTIES = 20  # sections of ten fields: room kept in a 50-block message


def what(approval: MobProcApproval) -> str:
    """"Suspension of (212) 555-0123": what is ordered, on which line."""
    order = approval.order
    tt = order.transactionType or ""
    noun = ORDER_KINDS[TransactionType(tt)].noun if tt in TransactionType.__members__ \
        else humanize_status(tt).lower()
    return f"{noun[:1].upper()}{noun[1:]} of {line(approval)}"


def line(approval: MobProcApproval, region: str = "US") -> str:
    number = approval.order.serviceNumber
    return format_service_number(number, region) if number else "a line"


def _person(employee: Any) -> str:
    return escape_mrkdwn(employee.display_name) if employee is not None else "—"


def _summary(approval: MobProcApproval, region: str) -> list[dict[str, Any]]:
    order = approval.order
    blocks: list[dict[str, Any]] = [
        header("Waiting for your approval in MobProc"),
        section(f"*{escape_mrkdwn(what(approval))}* for *{_person(order.accountHolder)}*, "
                f"asked by *{_person(order.requestedBy)}*."),
    ]
    facts = [("Line", line(approval, region)), ("For", _person(order.accountHolder)),
             ("Asked by", _person(order.requestedBy)),
             ("MobProc order", escape_mrkdwn(order.orderId)),
             ("Submitted", slack_date(order.dateSubmitted)),
             ("Reference", escape_mrkdwn(order.externalOrderNumber or "—"))]
    blocks.extend(fields_section(facts))
    # MobProc's order carries choice ids; their labels come from its definitions.
    definitions = {d.id: d for d in approval.definitions}
    details = [(escape_mrkdwn(f.label or (definitions[f.id].display_label
                                          if f.id in definitions else f.id)),
                truncate(property_text(f, definitions.get(f.id)), 1900))
               for g in order.properties for f in g.fields]
    if details:
        blocks.append(section("*Order details*"))
        blocks.extend(fields_section(details)[:MAX_PROPERTIES])
    return blocks


def buttons(approval: MobProcApproval, block_id: str = "mobproc_decision") -> dict[str, Any]:
    return {"type": "actions", "block_id": block_id, "elements": [
        {"type": "button", "action_id": MOBPROC_APPROVE_ACTION, "value": approval.id,
         "style": "primary", "text": plain("Approve", 75)},
        {"type": "button", "action_id": MOBPROC_REJECT_ACTION, "value": approval.id,
         "style": "danger", "text": plain("Reject", 75)}]}


def outcome_line(approval: MobProcApproval) -> str:
    """What became of this approval, as its DM says it once there are no buttons."""
    when = slack_date(approval.decided_at)
    reason = f" ({escape_mrkdwn(approval.reason)})" if approval.reason else ""
    message = escape_mrkdwn(approval.message or "no reason given")
    if approval.state is ApprovalState.SENDING:
        return ":hourglass_flowing_sand: Sending your answer to MobProc…"
    if approval.state is ApprovalState.UNKNOWN:
        return (":warning: Your answer was sent, but MobProc's answer was lost. I won't send it "
                "again; I'll check MobProc and update this message.")
    if approval.state is ApprovalState.GONE:
        return (":information_source: This order no longer waits for your approval in MobProc "
                "(it was decided or withdrawn there).")
    answers = {
        "APPROVAL_QUEUED": f":white_check_mark: You approved this order on {when}. MobProc "
                           "has queued your approval.",
        "REJECTION_QUEUED": f":no_entry_sign: You rejected this order on {when}{reason}. "
                            "MobProc has queued the rejection.",
        "APPROVAL_NOT_NEEDED": ":information_source: MobProc says this order no longer needs "
                               "approval: it was decided already or needs none.",
        NOT_ELIGIBLE: f":lock: MobProc says you may not approve this order: {message}",
    }
    return answers.get(approval.answer or "", f":information_source: MobProc answered "
                       f"{escape_mrkdwn(humanize_status(approval.answer))}.")


def _note(approval: MobProcApproval) -> str | None:
    """Why a decision is asked for again."""
    if approval.answer == NOT_READY:
        return ("MobProc says this order isn't ready for approval yet, so nothing was decided. "
                "Try again in a while.")
    if approval.answer == "REFUSED":
        return f"MobProc refused your answer: {escape_mrkdwn(approval.message or '')}"
    return escape_mrkdwn(approval.message) if approval.message else None


def approval_dm(approval: MobProcApproval, *, region: str = "US") -> dict[str, Any]:
    """The direct message: with Approve and Reject while the order waits, its outcome after."""
    blocks = _summary(approval, region)
    if approval.state is ApprovalState.WAITING:
        if (note := _note(approval)) is not None:
            blocks.append(context(f":information_source: {note}"))
        blocks.append(buttons(approval))
        text = f"{what(approval)} waits for your approval in MobProc"
    else:
        blocks[0] = header("MobProc approval")
        blocks.append(section(outcome_line(approval)))
        text = f"{what(approval)}: " + outcome_line(approval).split(" ", 1)[1]
    return {"text": text, "blocks": blocks}


def home_section(approvals: list[MobProcApproval], *, region: str = "US",
                 limit: int = 10) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "divider"},
                                    section("*Waiting for your approval in MobProc*")]
    for approval in approvals[:limit]:
        order = approval.order
        blocks.append(section(f"*{escape_mrkdwn(what(approval))}* for "
                              f"{_person(order.accountHolder)}, asked by "
                              f"{_person(order.requestedBy)} · MobProc order "
                              f"{escape_mrkdwn(order.orderId)}"))
        blocks.append(buttons(approval, block_id=f"mobproc_{approval.id}"))
    if len(approvals) > limit:
        blocks.append(context(f"…and {len(approvals) - limit} more in your direct messages."))
    return blocks


def reject_modal(approval: MobProcApproval) -> dict[str, Any]:
    limit = assumed.APPROVAL_REASON_MAX_LENGTH
    return {
        "type": "modal", "callback_id": MOBPROC_REJECT_CALLBACK,
        "private_metadata": approval.id, "title": plain("Reject order", 24),
        "submit": plain("Reject", 24), "close": plain("Back", 24),
        "blocks": [
            section(f"You are rejecting *{escape_mrkdwn(what(approval))}* (MobProc order "
                    f"{escape_mrkdwn(approval.order.orderId)})."),
            {"type": "input", "block_id": MOBPROC_REASON_BLOCK,
             "label": plain("Why do you reject it?", 2000),
             "hint": plain(f"Required by MobProc, at most {limit} characters.", 2000),
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                         "min_length": 1, "max_length": limit}},
        ],
    }


def _message(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": [section(text)]}


def notice(answer: Answer) -> dict[str, Any]:
    """The plain message for the person who clicked."""
    approval = answer.approval
    if answer.outcome is Outcome.NOT_FOUND or approval is None:
        return _message(":warning: I can't find this MobProc approval for you; nothing was "
                        "sent to MobProc.")
    subject = f"{what(approval)} (MobProc order {escape_mrkdwn(approval.order_id)})"
    if answer.outcome is Outcome.ALREADY:
        return _message(f":information_source: {subject} was already answered here: "
                        f"{outcome_line(approval).split(' ', 1)[1]} Nothing was sent again.")
    if answer.outcome is Outcome.UNAVAILABLE:
        return _message(f":warning: MobProc isn't answering right now, so nothing was sent for "
                        f"{subject}. Please try again in a few minutes.")
    if approval.state is ApprovalState.WAITING and (note := _note(approval)):
        return _message(f":information_source: {subject}: {note}")
    return _message(f"{subject}: {outcome_line(approval)}")
