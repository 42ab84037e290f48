"""The private answer to ``/line-status``."""

from __future__ import annotations

from typing import Any

from blocks.line import line_facts, line_number
from blocks.text import context, escape_mrkdwn, fields_section, header, section
from bot.domain import humanize_status
from bot.line_status.service import LineStatus


def line_status_message(found: LineStatus, *, region: str = "US") -> dict[str, Any]:
    number = line_number(found.service, region)
    blocks: list[dict[str, Any]] = [header(f"Line {number}")]
    blocks.extend(fields_section(line_facts(found.service, region)))
    if found.requests:
        blocks.append(section("*Last orders on this line*"))
    else:
        blocks.append(context("No orders from Slack on this line yet."))
    for request in found.requests[:8]:
        steps = " → ".join(humanize_status(s.status) for s in found.history.get(request.id, []))
        order = f"MobProc order *{escape_mrkdwn(request.order_id)}*" if request.order_id \
            else "not placed"
        mark = " :point_left:" if found.asked_for_order and \
            request.order_id == found.asked_for_order else ""
        lines = [f"*{request.kind.title}* · {order} · {humanize_status(request.state.value)}"
                 f"{mark}",
                 f"Requested by <@{request.requester_id}> on "
                 f"{request.created_at:%b %d, %Y}"]
        if steps:
            lines.append(f"Statuses: {steps}")
        if request.approval_permalink:
            lines.append(f"<{request.approval_permalink}|Approval thread>")
        blocks.append(section("\n".join(lines)))
    text = (f"Line {number}: {humanize_status(found.service.status)}, "
            f"{len(found.requests)} order(s) from Slack")
    return {"text": text, "blocks": blocks[:50]}
