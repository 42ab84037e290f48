"""Who may decide a request, the same for every kind of request (a single line's, a
leaver's of several lines): the rules, the words that say why not, and how a refused click
is audited.

- Only an approver (APPROVERS: users and user-group members) approves; none configured, none.
- Nobody approves their own request unless ALLOW_SELF_APPROVAL.
- Where several approvals are needed (APPROVALS_REQUIRED), neither whoever asked nor whoever
  filled in the form counts, whatever ALLOW_SELF_APPROVAL says.
- Each approver counts once (``already_approved``).
- The requester or an approver may cancel.
"""

from __future__ import annotations

from typing import Protocol

from bot.storage.audit import Audit

NO_APPROVERS = "No approvers are configured for this bot (APPROVERS)."
NOT_AN_APPROVER = "Only the approvers for line orders can approve this request."
OWN_REQUEST = "You can't approve your own request; another approver has to."
CANCEL_NOT_ALLOWED = "Only the requester or an approver can cancel it."


class Approvers(Protocol):
    @property
    def configured(self) -> bool: ...

    async def is_approver(self, user_id: str) -> bool: ...


class Asked(Protocol):
    """Any kind of request, as far as who asked for it and who filled in its form."""

    @property
    def requester_id(self) -> str: ...

    @property
    def enterer(self) -> str: ...


def own_request_refusal(required: int) -> str:
    """Said to whoever asked for a request that needs several approvers: they never count."""
    return (f"You asked for this request, so your approval doesn't count: it needs "
            f"{required} approvers other than you.")


def already_approved(remaining: int) -> str:
    """Said to an approver clicking Approve again: they count once."""
    more = "1 more approver" if remaining == 1 else f"{remaining} more approvers"
    return f"You have already approved it; it still waits for {more}."


class DecisionGuards:
    def __init__(self, approvers: Approvers, *, allow_self_approval: bool = False) -> None:
        self.approvers = approvers
        self.allow_self_approval = allow_self_approval

    async def approval_refusal(self, request: Asked, user_id: str, required: int
                               ) -> str | None:
        """Why ``user_id`` may not approve ``request`` (needing ``required`` approvals);
        None if they may."""
        if not self.approvers.configured:
            return NO_APPROVERS
        if not await self.approvers.is_approver(user_id):
            return NOT_AN_APPROVER
        return self.asker_refusal(request, user_id, required)

    def asker_refusal(self, request: Asked, user_id: str, required: int) -> str | None:
        """Why an approver's approval of ``request`` would not count, being theirs (the App
        Home lists a request for an approver only if it would); None if it would."""
        if user_id == request.requester_id and not self.allow_self_approval:
            return OWN_REQUEST
        if required > 1 and user_id in (request.requester_id, request.enterer):
            return own_request_refusal(required)
        return None

    async def may_cancel(self, request: Asked, user_id: str) -> bool:
        return user_id == request.requester_id or await self.approvers.is_approver(user_id)


def refused_click(user_id: str, action: str, reason: str) -> Audit:
    """The audit of a click that changed nothing, and why."""
    return Audit(user_id, "refused_click", {"action": action, "reason": reason})


def already_decided(user_id: str, action: str, state: str | None) -> Audit:
    """The audit of a click on a request no longer waiting (``state``: what it is now)."""
    return refused_click(user_id, action, f"already {state or 'unknown'}")
