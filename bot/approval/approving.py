"""An approver's click on a waiting request, counted the same way for a single line's
request and a leaver's request: who may approve (``guards``), each approver once, the move
out of waiting at the last approval needed (``bot.storage.approvals``), and an audit of
every click that changed nothing and why. What follows a counted approval (placing the
orders, the news) is each kind's own."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from bot.approval.guards import Asked, DecisionGuards, already_approved, refused_click
from bot.storage.approvals import ApprovalProgress, ApprovalStep, ApprovalStore, Counted
from bot.storage.audit import Audit

log = logging.getLogger(__name__)

class AuditSink(Protocol):
    async def audit(self, request_id: str | None, entry: Audit) -> None: ...


@dataclass(frozen=True)
class Verdict:
    """``outcome``: LAST (the request moved on), RECORDED (more approvals needed),
    NOT_WAITING (decided before), or ALREADY_BY_YOU with ``refusal``: why this click changed
    nothing (audited; this approver's own earlier approval is only one such reason)."""

    outcome: Counted
    progress: ApprovalProgress
    refusal: str | None = None


class Approving:
    def __init__(self, guards: DecisionGuards, approvals: ApprovalStore,
                 audit: AuditSink) -> None:
        self.guards = guards
        self.approvals = approvals
        self.audit = audit

    async def refuse(self, subject_id: str, user_id: str, action: str, reason: str) -> None:
        await self.audit.audit(subject_id, refused_click(user_id, action, reason))

    async def approve(self, subject: Asked, step: ApprovalStep) -> Verdict:
        none = ApprovalProgress((), step.required)
        reason = await self.guards.approval_refusal(subject, step.approver, step.required)
        if reason is None:
            counted = await self.approvals.count(step)
            if counted.outcome is Counted.RECORDED:
                log.info("%s approved by %s: %d of %d", step.subject_id, step.approver,
                         len(counted.progress.approvers), step.required)
            if counted.outcome is not Counted.ALREADY_BY_YOU:
                return Verdict(counted.outcome, counted.progress)
            reason, none = already_approved(counted.progress.remaining), counted.progress
        await self.refuse(step.subject_id, step.approver, "approve", reason)
        return Verdict(Counted.ALREADY_BY_YOU, none, reason)
