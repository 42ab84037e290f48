"""The steps the app offers in Workflow Builder and what their inputs must be."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from bot.domain import ORDER_KINDS, OrderKind
from bot.mobproc.models import TransactionType

SUSPEND_LINE = "suspend_line"
UNSUSPEND_LINE = "unsuspend_line"
DEACTIVATE_LINE = "deactivate_line"
TRANSFER_LINE = "transfer_line"
OFFBOARD_LINES = "offboard_lines"

# One step per order type: Workflow Builder lists steps by title, so "Suspend a phone line"
# is found and read as what it does; an order-type input would be a free-text field a
# builder could mistype, found out only when the workflow runs.
LINE_STEPS: dict[str, TransactionType] = {
    SUSPEND_LINE: TransactionType.SUSPEND,
    UNSUSPEND_LINE: TransactionType.UNSUSPEND,
    DEACTIVATE_LINE: TransactionType.DEACTIVATE,
    TRANSFER_LINE: TransactionType.XFER_SERVICE_OUT,
}
STEP_IDS = [*LINE_STEPS, OFFBOARD_LINES]

# Input and output names (the manifest declares them; tests/project/test_manifest.py checks).
LINE_NUMBER = "line_number"
REQUESTER = "requester"
PERSON = "person"
PERSON_EMAIL = "person_email"
REQUEST_ID = "request_id"
ORDER_ID = "order_id"
ORDER_IDS = "order_ids"
STATUS = "status"

# The outbox purpose of a leaver's request's completion: at most one per request.
WORKFLOW_STEP = "workflow_step"

_USER_ID = re.compile(r"^[UW][A-Za-z0-9]{2,}$")
_EMAIL = re.compile(r"^[^@\s]{1,200}@[^@\s]{1,200}\.[^@\s]{1,40}$")


class BadInput(Exception):
    """The step can't run with these inputs; ``message`` says why, plainly."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class StepRun:
    """One run of a step, as Slack sent it and as stored."""

    id: str  # function_execution_id
    callback_id: str
    inputs: dict[str, Any]
    requester_id: str | None = None
    request_id: str | None = None
    offboarding_id: str | None = None
    refusal: str | None = None

    @property
    def kind(self) -> OrderKind | None:
        tt = LINE_STEPS.get(self.callback_id)
        return ORDER_KINDS[tt] if tt else None

    @property
    def is_offboarding(self) -> bool:
        return self.callback_id == OFFBOARD_LINES


def text_input(inputs: dict[str, Any], name: str) -> str:
    value = inputs.get(name)
    return value.strip() if isinstance(value, str) else ""


def requester_of(inputs: dict[str, Any]) -> str:
    """The requester input: a Slack user id, or BadInput."""
    requester = text_input(inputs, REQUESTER)
    if not requester:
        raise BadInput("The step has no requester: choose the person the order is for in "
                       "the step's “Requester” input.")
    if not _USER_ID.match(requester):
        raise BadInput(f"The requester “{requester[:60]}” is not a Slack user.")
    return requester


def leaver_of(inputs: dict[str, Any]) -> tuple[str | None, str | None]:
    """(Slack user id, e-mail) of the person leaving: one of them, or BadInput."""
    person, email = text_input(inputs, PERSON), text_input(inputs, PERSON_EMAIL)
    if person and not _USER_ID.match(person):
        raise BadInput(f"“{person[:60]}” is not a Slack user.")
    if email and not _EMAIL.match(email):
        raise BadInput(f"“{email[:80]}” is not an e-mail address.")
    if not person and not email:
        raise BadInput("The step names nobody: give the person leaving (a Slack user) or "
                       "their e-mail address.")
    return person or None, email or None
