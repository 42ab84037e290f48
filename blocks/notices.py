"""Short private messages: refusals, usage, and why a click changed nothing."""

from __future__ import annotations

from typing import Any

from blocks.text import escape_mrkdwn, section
from bot.domain import LineRequest, OrderKind, RequestState
from bot.offboarding.models import Offboarding, OffboardingState


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


_BUNDLE_STATES = {OffboardingState.APPROVED: "approved", OffboardingState.DONE: "approved",
                  OffboardingState.CANCELLED: "cancelled", OffboardingState.EXPIRED: "expired"}


def bundle_already_decided(offboarding: Offboarding) -> dict[str, Any]:
    """A click on a leaver's request no longer waiting: what became of it, and by whom."""
    who = f" by <@{offboarding.decided_by}>" if offboarding.decided_by else ""
    state = _BUNDLE_STATES.get(offboarding.state, offboarding.state.value)
    return _message(f"This request was already {state}{who}. Nothing was changed.")


def approval_fix(channel: str, error: str) -> str:
    """What will make posting the approval message work, for the error Slack gave."""
    where = f"<#{channel}>" if channel.startswith(("C", "G")) else "the approval channel"
    if error == "not_in_channel":
        return (f"I'm not a member of {where}, where approval requests go. Invite me there "
                "with `/invite @mobproc-bot`, then run the command again.")
    if error in ("channel_not_found", "is_archived"):
        return (f"The approval channel ({channel}) doesn't exist or is archived. Ask whoever "
                "runs the bot to set APPROVAL_CHANNEL to a channel in use, then run the "
                "command again.")
    if error in ("invalid_auth", "account_inactive", "token_revoked", "not_authed"):
        return ("My Slack token isn't valid any more. Ask whoever runs the bot to reinstall "
                "the app and update SLACK_BOT_TOKEN.")
    if error in ("missing_scope", "restricted_action"):
        return (f"I'm not allowed to post in {where} ({error}). Ask a workspace admin to "
                "allow it, or to set APPROVAL_CHANNEL to a channel I may post in.")
    return (f"Slack refused the approval message ({error}). Ask whoever runs the bot to "
            "look at its logs.")


def approval_refused(req: LineRequest, channel: str, error: str) -> dict[str, Any]:
    """Slack refused the approval message for good: the request is cancelled."""
    return _message(f":warning: I couldn't post your request to {req.kind.verb} the line for "
                    f"approval, so it was cancelled and nothing was ordered. "
                    f"{approval_fix(channel, escape_mrkdwn(error))}")
