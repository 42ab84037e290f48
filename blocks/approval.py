"""The approval message: the order MobProc confirmed, with Approve and Cancel."""

from __future__ import annotations

from typing import Any

from blocks.ids import APPROVE_ACTION, CANCEL_ACTION
from blocks.line import line_number
from blocks.summary import order_summary
from blocks.text import context, escape_mrkdwn, plain, section, slack_date
from bot.domain import LineRequest, RequestState, humanize_status


def _asker(req: LineRequest) -> str:
    return req.requester_name or "Someone"


def approval_message(req: LineRequest, *, region: str = "US") -> dict[str, Any]:
    blocks = order_summary(req, region)
    blocks.append(context(f"Requested by <@{req.requester_id}> · reference "
                          f"`{escape_mrkdwn(req.external_order_number)}`"))
    blocks.append({
        "type": "actions",
        "block_id": "decision",
        "elements": [
            {"type": "button", "action_id": APPROVE_ACTION, "value": req.id,
             "style": "primary", "text": plain("Approve", 75)},
            {"type": "button", "action_id": CANCEL_ACTION, "value": req.id,
             "text": plain("Cancel", 75),
             "confirm": {"title": plain("Cancel this request?", 100),
                         "text": plain("Nothing will be ordered.", 300),
                         "confirm": plain("Cancel request", 30),
                         "deny": plain("Keep it", 30)}},
        ],
    })
    number = line_number(req.service, region)
    text = f"{_asker(req)} asks to {req.kind.verb} {number}: approval needed"
    return {"text": text, "blocks": blocks}


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
