"""MobProc's own approval queue, answered in Slack.

Who is looked up: only people who opened the App Home or used the bot (no workspace crawl),
one after another, so the lookups stay within MobProc's rate limit; those MobProc has had
nothing for, less and less often (``bot/approval_lookups.py``). Each order found waiting
for someone becomes one row (and one DM); an answer is sent to MobProc only by the click that
moved its row from WAITING to SENDING, a conditional update made before the call. A lost
answer is never resent: the row stays UNKNOWN until MobProc's list shows what became of it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.approval_lookups import LookupSchedule
from bot.domain import ApprovalState, MobProcApproval, MobProcDecision
from bot.mobproc import assumed
from bot.mobproc.client import MobProcClient
from bot.mobproc.errors import (
    MobProcError,
    MobProcNotFound,
    MobProcOutcomeUnknown,
    MobProcRefused,
    MobProcUnavailable,
)
from bot.mobproc.models import ApprovalRequest
from bot.storage.home_visitors import HomeVisitors
from bot.storage.mobproc_approvals import MobProcApprovalStore
from bot.storage.repository import RequestRepository

log = logging.getLogger(__name__)

OPEN = (ApprovalState.WAITING, ApprovalState.UNKNOWN)
# What MobProc's answers mean for the row: decided (buttons go) or still to decide.
DECIDED_ANSWERS = frozenset({"APPROVAL_QUEUED", "REJECTION_QUEUED", "APPROVAL_NOT_NEEDED"})
NOT_ELIGIBLE = "NOT_ELIGIBLE"
NOT_READY = "NOT_READY_FOR_APPROVAL"


class Outcome(StrEnum):
    SENT = "sent"  # MobProc answered (see the row's ``answer``)
    INVALID = "invalid"  # the reason is missing or too long: nothing was sent
    NOT_FOUND = "not_found"  # no such row, or not this person's
    ALREADY = "already"  # another click (here or in another process) answered it
    UNAVAILABLE = "unavailable"  # MobProc could not be reached: nothing was sent
    UNKNOWN = "unknown"  # sent, but the answer was lost


@dataclass
class Answer:
    outcome: Outcome
    approval: MobProcApproval | None = None
    problem: str | None = None  # INVALID: what is wrong with the reason


@dataclass
class Round:
    """What one lookup found: DMs to post, DMs to update (no longer waiting)."""

    new: list[MobProcApproval] = field(default_factory=list)
    changed: list[MobProcApproval] = field(default_factory=list)
    # MobProc had something for the person, or a row of theirs is still open.
    busy: bool = False


def reason_problem(action: str, reason: str | None) -> str | None:
    text = (reason or "").strip()
    if action == "REJECT" and not text:
        return "Please say why you reject this order; MobProc needs a reason."
    if len(text) > assumed.APPROVAL_REASON_MAX_LENGTH:
        return f"MobProc takes at most {assumed.APPROVAL_REASON_MAX_LENGTH} characters."
    return None


def _now() -> datetime:
    return datetime.now(UTC)


class MobProcApprovals:
    def __init__(self, mobproc: MobProcClient, store: MobProcApprovalStore,
                 repo: RequestRepository, visitors: HomeVisitors,
                 employee_id_of: Callable[[str], Awaitable[str | None]], *,
                 lease_seconds: float, schedule: LookupSchedule | None = None) -> None:
        self.mobproc = mobproc
        self.store = store
        self.repo = repo
        self.visitors = visitors
        self.employee_id_of = employee_id_of
        self.lease = timedelta(seconds=lease_seconds)
        # None: everyone, every round.
        self.schedule = schedule

    async def people(self) -> list[str]:
        """Those who opened the App Home or used the bot: nobody else is looked up."""
        return sorted(await self.visitors.everyone() | await self.store.people_who_used_the_bot())

    async def look_up(self, user_id: str) -> Round:
        """Ask MobProc what waits for this person; record new orders and those gone."""
        found = await self._look_up(user_id)
        if self.schedule is not None:
            self.schedule.looked_up(user_id, busy=found.busy)
        return found

    async def _look_up(self, user_id: str) -> Round:
        found = Round()
        employee_id = await self.employee_id_of(user_id)
        if not employee_id:
            return found
        # A row being sent counts as lost only if it was sent a lease before this read
        # began: a read that started before the answer landed still lists the order.
        stale = _now() - self.lease
        try:
            orders = await self.mobproc.orders_awaiting(employee_id)
        except MobProcError as exc:
            log.warning("Could not list MobProc approvals of %s: %s", user_id, exc.message)
            found.busy = True  # nothing learnt: ask again next round
            return found
        waiting = {o.orderId for o in orders}
        found.busy = bool(orders)
        for order in orders:
            approval, new = await self.store.add(order, user_id, employee_id)
            if new:
                found.new.append(approval)
        for approval in await self.store.of(user_id, [*OPEN, ApprovalState.SENDING]):
            found.busy = True
            if approval.order_id not in waiting:
                # Decided elsewhere, or by this person's lost answer: the buttons go. A row
                # being sent right now is left to its click unless that click died.
                sending = approval.state is ApprovalState.SENDING
                if await self.store.transition(approval.id, [approval.state],
                                               ApprovalState.GONE, actor="mobproc",
                                               stale_before=stale if sending else None):
                    found.changed.append(await self._get(approval.id))
            elif approval.state is not ApprovalState.WAITING and \
                    await self.store.transition(
                        approval.id, [ApprovalState.UNKNOWN, ApprovalState.SENDING],
                        ApprovalState.WAITING, actor="mobproc", stale_before=stale,
                        message="Your earlier answer did not reach MobProc: the order still "
                                "waits for you."):
                # Still waiting a lease after an answer that was lost (or a crash): the
                # decision did not take, so the person may decide again.
                found.changed.append(await self._get(approval.id))
        return found

    async def round(self) -> Round:
        total = Round()
        for user_id in await self.people():
            if self.schedule is not None and not self.schedule.due(user_id):
                continue
            found = await self.look_up(user_id)
            total.new += found.new
            total.changed += found.changed
        # DMs a stopped process never recorded: posted by whoever claims them.
        stale = _now() - self.lease
        for approval in await self.store.unposted():
            if approval not in total.new and await self.store.claim_dm(approval.id, stale):
                total.new.append(approval)
        return total

    async def waiting_for(self, user_id: str) -> list[MobProcApproval]:
        return await self.store.of(user_id, [ApprovalState.WAITING])

    async def get(self, approval_id: str) -> MobProcApproval | None:
        return await self.store.get(approval_id)

    async def dm_posted(self, approval_id: str, channel: str, ts: str) -> None:
        await self.store.set_dm(approval_id, channel, ts)

    async def answer(self, approval_id: str, user_id: str, action: str,
                     reason: str | None = None) -> Answer:
        """Send this person's decision to MobProc, once however many clicks."""
        approval = await self.store.get(approval_id)
        if approval is None or approval.approver_id != user_id:
            return Answer(Outcome.NOT_FOUND)
        problem = reason_problem(action, reason)
        if problem:
            return Answer(Outcome.INVALID, approval, problem)
        text = (reason or "").strip() or None
        now = _now()
        if not await self.store.transition(approval_id, [ApprovalState.WAITING],
                                           ApprovalState.SENDING, actor=user_id,
                                           action=action, reason=text, decided_at=now,
                                           answer=None, message=None):
            return Answer(Outcome.ALREADY, await self._get(approval_id))
        sending = approval.model_copy(update={"state": ApprovalState.SENDING, "action": action,
                                              "reason": text, "decided_at": now})
        try:
            status = await self.mobproc.answer_approval(
                approval.order_id, ApprovalRequest(action=action, reason=text),  # type: ignore[arg-type]
                on_behalf_of=approval.employee_id)
        except MobProcOutcomeUnknown:
            return await self._settle(sending, Outcome.UNKNOWN, ApprovalState.UNKNOWN)
        except MobProcUnavailable:
            return await self._settle(sending, Outcome.UNAVAILABLE, ApprovalState.WAITING)
        except MobProcNotFound as exc:
            return await self._settle(sending, Outcome.SENT, ApprovalState.GONE,
                                      answer="NOT_FOUND", message=exc.message)
        except MobProcRefused as exc:
            # 403: MobProc says this person may not decide it (any more): the buttons go.
            # Another refusal (e.g. of the reason) leaves the decision to be made again.
            if exc.status == 403:
                return await self._settle(sending, Outcome.SENT, ApprovalState.ANSWERED,
                                          answer=NOT_ELIGIBLE, message=exc.message)
            return await self._settle(sending, Outcome.SENT, ApprovalState.WAITING,
                                      answer="REFUSED", message=exc.message)
        except MobProcError as exc:
            return await self._settle(sending, Outcome.UNKNOWN, ApprovalState.UNKNOWN,
                                      message=exc.message)
        new_state = ApprovalState.WAITING if status == NOT_READY else ApprovalState.ANSWERED
        settled = await self._settle(sending, Outcome.SENT, new_state, answer=status)
        if status in ("APPROVAL_QUEUED", "REJECTION_QUEUED"):
            await self._note_on_request(approval, user_id, action, text)
        return settled

    async def _settle(self, sending: MobProcApproval, outcome: Outcome, state: ApprovalState,
                      *, answer: str | None = None, message: str | None = None) -> Answer:
        """Record what became of a click. The answer describes this click as it happened,
        even if a lookup has moved the row on since (its DM is rendered from the row)."""
        await self.store.transition(sending.id, [ApprovalState.SENDING], state,
                                    actor="mobproc", answer=answer, message=message)
        return Answer(outcome, sending.model_copy(update={"state": state, "answer": answer,
                                                          "message": message}))

    async def _note_on_request(self, approval: MobProcApproval, user_id: str, action: str,
                               reason: str | None) -> None:
        """An order placed from Slack: its thread will say who decided."""
        request = await self.repo.by_order_id(approval.order_id)
        if request is not None:
            await self.repo.note_mobproc_decision(request.id, MobProcDecision(
                action=action, by_slack_user=user_id, reason=reason))

    async def _get(self, approval_id: str) -> MobProcApproval:
        approval = await self.store.get(approval_id)
        assert approval is not None
        return approval
