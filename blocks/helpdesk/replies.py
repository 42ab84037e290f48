"""Replies in help-desk threads: what the bot understood, and how the order is going."""

from __future__ import annotations

from typing import Any

from blocks.approval.summary import order_summary
from blocks.ids import START_ORDER_ACTION
from blocks.line import line_facts, line_number
from blocks.text import context, escape_mrkdwn, fields_section, plain, section
from bot.domain import ORDER_KINDS, LineRequest, humanize_status
from bot.helpdesk.service import Understanding
from bot.mobproc.models import TransactionType


def start_button(ticket_id: str, transaction_type: TransactionType, primary: bool
                 ) -> dict[str, Any]:
    kind = ORDER_KINDS[transaction_type]
    button: dict[str, Any] = {
        "type": "button", "action_id": f"{START_ORDER_ACTION}_{transaction_type.value}",
        "value": f"{ticket_id}:{transaction_type.value}",
        "text": plain(f"Start {kind.verb} order", 75)}
    if primary:
        button["style"] = "primary"
    return button


def understood_message(found: Understanding, *, region: str = "US") -> dict[str, Any]:
    number = found.number.display
    blocks: list[dict[str, Any]] = []
    if found.service is not None:
        holder = found.service.employee.display_name if found.service.employee else "—"
        blocks.append(section(f"I found line *{escape_mrkdwn(number)}* "
                              f"({escape_mrkdwn(holder)}) in MobProc."))
        blocks.extend(fields_section(line_facts(found.service, region)))
    if found.problem:
        blocks.append(section(f":warning: {escape_mrkdwn(found.problem)}"))
    if found.suggested is not None:
        kind = ORDER_KINDS[found.suggested]
        text = f"It looks like you want to *{kind.verb}* {escape_mrkdwn(number)}."
        blocks.append(section(text))
        buttons = [start_button(found.ticket.id, found.suggested, True)]
    elif found.allowed:
        blocks.append(section("Which order do you need? These are possible on this line now:"))
        buttons = [start_button(found.ticket.id, t, False) for t in found.allowed]
    else:
        buttons = []
    if buttons:
        blocks.append({"type": "actions", "block_id": "start_order", "elements": buttons})
        blocks.append(context(f"The order will be for <@{found.ticket.poster_id}>; "
                              "anyone from the help desk can fill it in."))
    fallback = f"About line {number}: " + (
        f"start a {ORDER_KINDS[found.suggested].verb} order?" if found.suggested
        else found.problem or "which order do you need?")
    return {"text": fallback, "blocks": blocks}


def waiting_summary(req: LineRequest, *, region: str = "US") -> dict[str, Any]:
    blocks = order_summary(req, region)
    blocks[0] = {"type": "header", "text": plain(req.kind.title, 150)}
    where = f"<{req.approval_permalink}|the approval request>" if req.approval_permalink \
        else "the approval request"
    blocks.append(context(f":hourglass_flowing_sand: MobProc confirmed this order; it is "
                          f"waiting for an approver ({where}). Updates will follow here."))
    return {"text": f"Order to {req.kind.verb} the line is waiting for approval",
            "blocks": blocks}


def final_dm(req: LineRequest, final_status: str, *, region: str = "US") -> dict[str, Any]:
    """The direct message to the person an order is for, once it is finished."""
    number = line_number(req.service, region)
    order = f"MobProc order {escape_mrkdwn(req.order_id or '—')}"
    where = (f" The whole story is in the thread of your message in <#{req.helpdesk_channel}>."
             if req.helpdesk_channel else "")
    if final_status.upper() == "COMPLETE":
        text = f":white_check_mark: Done: {number} is {req.kind.past} ({order})."
    else:
        text = (f":x: Your request to {req.kind.verb} {number} ended as "
                f"*{humanize_status(final_status)}* ({order}), so the line was not "
                f"{req.kind.past}. Reply in the help-desk thread if you still need it.")
    return {"text": text + where, "blocks": [section(text + where)]}
