"""Short private messages: refusals, usage, and why a click changed nothing."""

from __future__ import annotations

from typing import Any

from blocks.text import escape_mrkdwn, section
from bot.domain import LineRequest, OrderKind, RequestState


def _message(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": [section(text)]}


def refusal(message: str) -> dict[str, Any]:
    return _message(f":warning: {escape_mrkdwn(message)}")


def usage(kind: OrderKind) -> dict[str, Any]:
    return _message(f"Usage: `{kind.command} 415-555-0199 [what happened]`: give the number "
                    f"of the line to {kind.verb}.")


def not_allowed(action: str, reason: str) -> dict[str, Any]:
    return _message(f":lock: You can't {action} this request. {escape_mrkdwn(reason)} "
                    "Nothing was changed.")


_STATE_TEXT = {
    RequestState.DRAFT: "is still being filled in",
    RequestState.PENDING: "is waiting for an approver",
    RequestState.APPROVED: "was already approved",
    RequestState.SUBMITTING: "was already approved and is being placed",
    RequestState.SUBMITTED: "was already approved and placed with MobProc",
    RequestState.COMPLETED: "was already approved and is complete",
    RequestState.CANCELLED: "was cancelled",
    RequestState.EXPIRED: "expired without a decision",
    RequestState.FAILED: "was approved but MobProc refused it",
}


def already_decided(req: LineRequest) -> dict[str, Any]:
    who = f" by <@{req.decided_by}>" if req.decided_by and req.state is not \
        RequestState.PENDING else ""
    return _message(f":information_source: This request {_STATE_TEXT[req.state]}{who}. "
                    "Nothing was changed.")
