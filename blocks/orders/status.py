"""Thread replies: the decision, and every status change of the order."""

from __future__ import annotations

from typing import Any

from blocks.line import line_number
from blocks.text import escape_mrkdwn, section
from bot.domain import LineRequest, StatusChange, humanize_status
from bot.mobproc import assumed


def _reply(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": [section(text)]}


def helpdesk_audience(req: LineRequest) -> list[str]:
    """In a help-desk thread the news is for the person who asked there (the poster), and
    for the agent who filled in the form."""
    return list(dict.fromkeys([req.requester_id, req.enterer]))


def _mentions(people: list[str]) -> str:
    return " ".join(f"<@{p}>" for p in people)


def _tell(req: LineRequest, audience: list[str] | None = None) -> str:
    """Mention whoever the news is for (by default who filled in the form), so Slack notifies
    them, except whoever made it happen themselves."""
    people = [p for p in (audience or [req.enterer]) if p != req.decided_by]
    return f"{_mentions(people)}, " if people else ""


def submitted_reply(req: LineRequest, audience: list[str] | None = None) -> dict[str, Any]:
    who = f"<@{req.decided_by}>" if req.decided_by else "an approver"
    return _reply(f":white_check_mark: Approved by {who}. {_tell(req, audience)}MobProc order "
                  f"*{escape_mrkdwn(req.order_id or '?')}* is placed; status: "
                  f"*{humanize_status(req.order_status)}*. I'll post every change here.")


def pending_submission_reply(req: LineRequest) -> dict[str, Any]:
    # Said when MobProc could not be reached and when its answer was lost: in the second
    # case the order may already exist, so promise only what holds in both.
    return _reply(":hourglass_flowing_sand: Approved. MobProc isn't answering just now, so I "
                  "can't confirm the order yet. I'll keep at it (it will never be placed "
                  "twice) and post here as soon as it is.")


def unconfirmed_reply(req: LineRequest) -> dict[str, Any]:
    """MobProc's answer was lost and MobProc won't say whether the order exists."""
    return _reply(f":warning: Approved, but MobProc's answer was lost and MobProc won't tell "
                  f"me whether the order was placed ({escape_mrkdwn(req.error or 'no reason')})."
                  f" I won't send it again blind: I'll keep asking and post here once I know. "
                  f"To check by hand, look for reference `{req.external_order_number}` in "
                  f"MobProc.")


def failure_reply(req: LineRequest, audience: list[str] | None = None) -> dict[str, Any]:
    people = _mentions(audience or [req.requester_id])
    return _reply(f":x: MobProc refused the order: {escape_mrkdwn(req.error or 'no reason')}. "
                  f"Nothing was ordered. {people}, please check the details and "
                  f"run `{req.kind.command}` again.")


def cancelled_reply(req: LineRequest, audience: list[str] | None = None) -> dict[str, Any]:
    who = f"<@{req.decided_by}>" if req.decided_by else "someone"
    tell = _tell(req, audience)
    after = f" {tell}your request won't go ahead." if tell else ""
    return _reply(f":no_entry_sign: Cancelled by {who}. Nothing was ordered.{after}")


def expired_notice(req: LineRequest, *, region: str = "US") -> dict[str, Any]:
    number = line_number(req.service, region)
    return _reply(f":hourglass: The request to {req.kind.verb} {number} expired: no approver "
                  f"decided in time, so nothing was ordered. <@{req.requester_id}>, run "
                  f"`{req.kind.command}` again if it is still needed.")


def _emoji(status: str) -> str:
    upper = status.upper()
    if upper == "COMPLETE":
        return ":white_check_mark:"
    if upper in assumed.FINAL_ORDER_STATUSES:
        return ":x:"
    return ":arrows_counterclockwise:"


def _is_awaiting(status: str | None) -> bool:
    return (status or "").upper() == assumed.AWAITING_APPROVAL


def _decided_in_mobproc(req: LineRequest, subject: str, new: str) -> str:
    """Leaving AWAITING_APPROVAL: who decided, as far as MobProc or Slack tell."""
    decision = req.mobproc_decision
    if decision is None:
        return f"{subject} left MobProc's approval; it is now *{new}*."
    if decision.by_slack_user:
        who = f"<@{decision.by_slack_user}>"
    else:
        who = escape_mrkdwn(decision.by_name) if decision.by_name else "an approver"
    verb = "rejected" if decision.action.upper() == "REJECT" else "approved"
    why = f" ({escape_mrkdwn(decision.reason)})" if decision.reason and verb == "rejected" \
        else ""
    return f"{subject} was {verb} in MobProc by {who}{why}; it is now *{new}*."


def status_reply(change: StatusChange, audience: list[str] | None = None) -> dict[str, Any]:
    req = change.request
    people = _mentions(audience or [req.enterer])
    new = humanize_status(change.new_status)
    if change.subject == "order":
        subject = f"MobProc order *{escape_mrkdwn(req.order_id or '?')}*"
    else:
        vendor = f" ({escape_mrkdwn(change.vendor)})" if change.vendor else ""
        subject = f"Order {escape_mrkdwn(change.subject)}{vendor}"
    was = f" (was {humanize_status(change.old_status)})" if change.old_status else ""
    text = f"{_emoji(change.new_status)} {subject} is now *{new}*{was}."
    if change.subject == "order" and _is_awaiting(change.new_status):
        text = (f":hourglass_flowing_sand: {subject} is now *waiting for approval in "
                f"MobProc*: someone MobProc names as an approver has to approve it there.")
    elif change.subject == "order" and _is_awaiting(change.old_status):
        text = f"{_emoji(change.new_status)} {_decided_in_mobproc(req, subject, new)}"
    if change.final:
        # The end is news for whoever asked: mention them so Slack tells them.
        if change.new_status.upper() == "COMPLETE":
            text += (f" {people}, the line is {req.kind.past}. I'll stop following "
                     f"this order.")
        else:
            text += (f" {people}, this order ended without being completed, so the "
                     f"line was not {req.kind.past}. I'll stop following it.")
    return _reply(text)


def reminder_reply(req: LineRequest, approvers: list[str], *, region: str = "US"
                   ) -> dict[str, Any]:
    """Re-announces a waiting request to the approvers (users and user groups)."""
    who = " ".join(f"<!subteam^{a}>" if a.startswith("S") else f"<@{a}>" for a in approvers)
    number = line_number(req.service, region)
    text = (f":bell: {who or 'Approvers'}: the request to {req.kind.verb} {number} from "
            f"<@{req.requester_id}> is still waiting for a decision (reminder "
            f"{req.reminders_sent}).")
    return _reply(text)
