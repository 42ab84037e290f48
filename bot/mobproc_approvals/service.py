"""MobProc's own approval queue, answered in Slack.

Who is looked up: only people who opened the App Home or used the bot (no workspace crawl),
one after another, so the lookups stay within MobProc's rate limit; those MobProc has had
nothing for, less and less often (``bot/mobproc_approvals/lookups.py``). Each order found waiting
for someone becomes one row, and its DM is queued in the outbox in the same transaction
(``DM_PURPOSE``: posted once, recorded on the row when it goes out, found by its metadata if
a sender died before recording it). Every later change queues the DM's update (and the
clicker's notice) in the transaction that makes it.

An answer is sent to MobProc only by the click that moved its row from WAITING to SENDING,
a conditional update made before the call that takes a fenced claim (an attempt number and
a lease of ``MobProcConfig.lease_seconds``): the POST leaves only while that attempt holds
the row and can end within the lease (``bot.effects.fence``), so one held back (limiter,
429 pause, slow connect) is dropped, never sent late. A row being sent is settled by a
lookup only with a list read begun after its lease, when no POST of it can be in flight. A
lost answer is never resent: the row stays UNKNOWN until MobProc's list shows what became
of it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any

from bot.domain import ApprovalState, MobProcApproval, MobProcDecision
from bot.effects.fence import Fence, SendDropped
from bot.effects.outbox import OutboxSender, PostOnce, approval_metadata
from bot.mobproc import assumed
from bot.mobproc.client import MobProcClient
from bot.mobproc.definitions import OrderDefinitions
from bot.mobproc.errors import (
    MobProcError,
    MobProcNotFound,
    MobProcOutcomeUnknown,
    MobProcRefused,
    MobProcUnavailable,
)
from bot.mobproc.models import ApprovalRequest
from bot.mobproc_approvals.lookups import LookupSchedule
from bot.storage.home_visitors import HomeVisitors
from bot.storage.mobproc_approvals import MobProcApprovalStore
from bot.storage.outbox_queue import OutboxMessage
from bot.storage.requests import RequestRepository

log = logging.getLogger(__name__)

OPEN = (ApprovalState.WAITING, ApprovalState.UNKNOWN)
NOT_ELIGIBLE = "NOT_ELIGIBLE"
NOT_READY = "NOT_READY_FOR_APPROVAL"
# The outbox purpose of an approval's DM: one per row (its id is the outbox key).
DM_PURPOSE = "mobproc_approval_dm"


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
    # The clicker's notice was queued with the change that settled the click.
    told: bool = False


@dataclass(frozen=True)
class SlackSide:
    """What the Slack side makes of a row (the core speaks no Block Kit): the approver's DM
    channel (None when Slack can't say now), the DM's message as the row stands, and the
    notice for the person who clicked."""

    dm_channel: Callable[[str], Awaitable[str | None]]
    dm: Callable[[MobProcApproval], dict[str, Any]]
    notice: Callable[[Answer], dict[str, Any]]


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
                 outbox: OutboxSender, slack: SlackSide,
                 schedule: LookupSchedule | None = None,
                 definitions: OrderDefinitions | None = None) -> None:
        self.mobproc = mobproc
        self.store = store
        self.repo = repo
        self.visitors = visitors
        self.employee_id_of = employee_id_of
        self.slack = slack
        # An answer's claim lasts as long as its POST may take, waits included: derived
        # from the client's timeout and tries, never a number of its own.
        self.lease = timedelta(seconds=mobproc.config.lease_seconds)
        # None: everyone, every round.
        self.schedule = schedule
        # What a DM needs to show choice labels, read once per type and line (cached).
        self.definitions = definitions or OrderDefinitions(mobproc)
        # The store is looked up at each call, not captured (tests inject faults there).
        outbox.post_once(DM_PURPOSE, PostOnce(
            lambda call_id, key, channel, ts: self.store.dm_posted(
                call_id, key, channel, ts, self._after_post),
            lambda *args: self.store.dm_refused(*args)))

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
        channel: str | None = None
        for order in orders:
            if await self.store.find(order.orderId, user_id) is not None:
                continue
            channel = channel or await self.slack.dm_channel(user_id)
            if channel is None:
                break  # no DM channel now: the next round adds them (found.busy is set)
            # Kept with the row, so every DM and update, from any process, shows the same
            # labels; empty (ids shown) when MobProc couldn't say.
            definitions = await self.definitions.for_order(order)
            approval, new = await self.store.add(order, user_id, employee_id,
                                                 partial(self._post, channel=channel),
                                                 DM_PURPOSE, definitions)
            if new:
                found.new.append(approval)
        for approval in await self.store.of(user_id, [*OPEN, ApprovalState.SENDING]):
            found.busy = True
            if approval.order_id not in waiting:
                # Decided elsewhere, or by this person's lost answer: the buttons go. A row
                # being sent right now is left to its click unless that click died.
                sending = approval.state is ApprovalState.SENDING
                if moved := await self.store.transition(
                        approval.id, [approval.state], ApprovalState.GONE, actor="mobproc",
                        stale_before=stale if sending else None, then=self._updates):
                    found.changed.append(moved)
            elif approval.state is not ApprovalState.WAITING and \
                    (moved := await self.store.transition(
                        approval.id, [ApprovalState.UNKNOWN, ApprovalState.SENDING],
                        ApprovalState.WAITING, actor="mobproc", stale_before=stale,
                        then=self._updates,
                        message="Your earlier answer did not reach MobProc: the order still "
                                "waits for you.")):
                # Still waiting a lease after an answer that was lost (or a crash): the
                # decision did not take, so the person may decide again. A POST of a row
                # being sent can't still leave: its fence lapsed with the lease.
                found.changed.append(moved)
        return found

    async def round(self) -> Round:
        total = Round()
        for user_id in await self.people():
            if self.schedule is not None and not self.schedule.due(user_id):
                continue
            found = await self.look_up(user_id)
            total.new += found.new
            total.changed += found.changed
        # Rows an older version (which posted DMs directly) left without one: queued now.
        stale = _now() - self.lease
        for approval in await self.store.without_dm(DM_PURPOSE, stale):
            channel = await self.slack.dm_channel(approval.approver_id)
            if channel and await self.store.queue_dm(approval.id, self._post(approval, channel),
                                                     DM_PURPOSE):
                total.new.append(approval)
        return total

    async def waiting_for(self, user_id: str) -> list[MobProcApproval]:
        return await self.store.of(user_id, [ApprovalState.WAITING])

    async def get(self, approval_id: str) -> MobProcApproval | None:
        return await self.store.get(approval_id)

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
        attempt = await self.store.claim_answer(approval_id, actor=user_id, action=action,
                                                reason=text, at=now)
        if attempt is None:
            return Answer(Outcome.ALREADY, await self._get(approval_id))
        sending = approval.model_copy(update={"state": ApprovalState.SENDING, "action": action,
                                              "reason": text, "decided_at": now})
        fence = Fence(attempt, now + self.lease,
                      lambda current: self.store.holds(approval_id, current), confirmed_at=now)
        settle = partial(self._settle, sending, attempt)
        try:
            status = await self.mobproc.answer_approval(
                approval.order_id, ApprovalRequest(action=action, reason=text),  # type: ignore[arg-type]
                on_behalf_of=approval.employee_id, fence=fence)
        except SendDropped as exc:
            # Held back past its lease (or taken over): this attempt sent nothing, and the
            # tries before it were refused unprocessed, so the person may decide again.
            log.warning("The answer to MobProc approval %s was not sent: %s", approval_id, exc)
            return await settle(Outcome.UNAVAILABLE, ApprovalState.WAITING)
        except MobProcOutcomeUnknown:
            return await settle(Outcome.UNKNOWN, ApprovalState.UNKNOWN)
        except MobProcUnavailable:
            return await settle(Outcome.UNAVAILABLE, ApprovalState.WAITING)
        except MobProcNotFound as exc:
            return await settle(Outcome.SENT, ApprovalState.GONE,
                                      answer="NOT_FOUND", message=exc.message)
        except MobProcRefused as exc:
            # 403: MobProc says this person may not decide it (any more): the buttons go.
            # Another refusal (e.g. of the reason) leaves the decision to be made again.
            if exc.status == 403:
                return await settle(Outcome.SENT, ApprovalState.ANSWERED,
                                          answer=NOT_ELIGIBLE, message=exc.message)
            return await settle(Outcome.SENT, ApprovalState.WAITING,
                                      answer="REFUSED", message=exc.message)
        except MobProcError as exc:
            return await settle(Outcome.UNKNOWN, ApprovalState.UNKNOWN,
                                      message=exc.message)
        new_state = ApprovalState.WAITING if status == NOT_READY else ApprovalState.ANSWERED
        settled = await settle(Outcome.SENT, new_state, answer=status)
        if status in ("APPROVAL_QUEUED", "REJECTION_QUEUED"):
            await self._note_on_request(approval, user_id, action, text)
        return settled

    async def _settle(self, sending: MobProcApproval, attempt: int, outcome: Outcome,
                      state: ApprovalState, *, answer: str | None = None,
                      message: str | None = None) -> Answer:
        """Record what became of a click, with the DM's update and the clicker's notice, if
        its attempt still holds the row. The answer describes this click as it happened,
        even if a lookup has moved the row on since (its DM is rendered from the row)."""
        result = Answer(outcome, sending.model_copy(update={"state": state, "answer": answer,
                                                            "message": message}))
        moved = await self.store.transition(
            sending.id, [ApprovalState.SENDING], state, actor="mobproc", attempt=attempt,
            answer=answer, message=message,
            then=lambda row: [*self._updates(row), self._notice(result)])
        result.told = moved is not None
        return result

    # --- what is queued for Slack ---------------------------------------------------

    def _post(self, approval: MobProcApproval, channel: str) -> OutboxMessage:
        """The DM: its metadata lets a sender taking over find it if it went out unrecorded."""
        return OutboxMessage("chat.postMessage", {
            "channel": channel, **self.slack.dm(approval),
            "metadata": approval_metadata(approval.id)})

    def _updates(self, approval: MobProcApproval) -> list[OutboxMessage]:
        """The DM shown as the row now stands (nothing while it has not gone out: it is
        brought up to date when it does, ``_after_post``)."""
        if not approval.dm_channel or not approval.dm_ts:
            return []
        return [OutboxMessage("chat.update", {"channel": approval.dm_channel,
                                              "ts": approval.dm_ts, **self.slack.dm(approval)})]

    def _after_post(self, posted: Mapping[str, Any], approval: MobProcApproval
                    ) -> list[OutboxMessage]:
        """A change made while the DM waited to go out is shown on it at once."""
        now = _as_json(self.slack.dm(approval))
        if now.get("text") == posted.get("text") and now.get("blocks") == posted.get("blocks"):
            return []
        return self._updates(approval)

    def _notice(self, answer: Answer) -> OutboxMessage:
        approval = answer.approval
        assert approval is not None
        return OutboxMessage("chat.postMessage", {
            "channel": approval.dm_channel or approval.approver_id, **self.slack.notice(answer)})

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


def _as_json(message: dict[str, Any]) -> dict[str, Any]:
    """As it reads back from the outbox's JSON column (tuples become lists)."""
    loaded: dict[str, Any] = json.loads(json.dumps(message))
    return loaded
