"""The message a Workflow Builder step run sends its requester: what the workflow asks, and
a button that opens the order's form."""

from __future__ import annotations

from typing import Any

from blocks.ids import WORKFLOW_FILL_IN_ACTION
from blocks.text import context, escape_mrkdwn, plain, section
from bot.domain import OrderKind

FILL_IN = "Fill in the order"


def _message(text: str, execution_id: str, note: str) -> dict[str, Any]:
    return {"text": text, "blocks": [
        section(text),
        {"type": "actions", "block_id": "workflow_step", "elements": [{
            "type": "button", "action_id": WORKFLOW_FILL_IN_ACTION, "style": "primary",
            "text": plain(FILL_IN), "value": execution_id}]},
        context(note),
    ]}


def line_step_request(kind: OrderKind, number: str, execution_id: str) -> dict[str, Any]:
    return _message(f":clipboard: A workflow asks to *{kind.verb}* the line "
                    f"*{escape_mrkdwn(number)}* for you.", execution_id,
                    "The form is the same as " + kind.command + "'s; a manager approves the "
                    "order before MobProc gets it, and the workflow goes on once it has.")


def offboarding_step_request(person: str | None, email: str | None, execution_id: str
                              ) -> dict[str, Any]:
    who = f"<@{person}>" if person else escape_mrkdwn(email)
    return _message(f":clipboard: A workflow asks to order what happens to the lines of "
                    f"*{who}*, who is leaving.", execution_id,
                    "The form is the same as /offboard-lines'; a manager approves the orders "
                    "before MobProc gets them, and the workflow goes on once it has them.")
