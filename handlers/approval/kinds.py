"""What differs between the two kinds of request for their Approve and Cancel buttons: a
single line's request and a leaver's (``/offboard-lines``). The steps, written once for
both, are ``handlers.approval.buttons``'s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar

from blocks import notices
from bot.approval.warnings import ApprovalWarning
from bot.context import BotContext
from bot.domain import LineRequest, RequestState
from bot.offboarding.models import Offboarding, OffboardingState
from bot.orders.service import DecisionOutcome
from bot.storage.outbox_queue import OutboxMessage
from bot.workflow_steps.steps import WORKFLOW_STEP
from handlers.approval import news
from handlers.home.tab import people_of
from handlers.offboarding.news import tellers
from handlers.orders.news import decision_messages
from handlers.workflow_steps.completion import bundle_success

Verb = Literal["approve", "cancel"]


class Subject(Protocol):
    """A request of either kind, as far as its buttons read it."""

    @property
    def id(self) -> str: ...

    @property
    def requester_id(self) -> str: ...

    @property
    def origin_channel(self) -> str | None: ...

    @property
    def approval_channel(self) -> str | None: ...

    @property
    def approval_ts(self) -> str | None: ...

    @property
    def decided_by(self) -> str | None: ...


S = TypeVar("S", bound=Subject)


@dataclass(frozen=True)
class Decided(Generic[S]):
    """The core's decision, of either kind: the request as it now stands, or why not."""

    outcome: DecisionOutcome
    request: S | None = None
    reason: str | None = None

    @property
    def made(self) -> bool:
        return self.outcome is DecisionOutcome.DONE and self.request is not None


@dataclass(frozen=True)
class Kind(Generic[S]):
    """One kind of request, as its buttons need it."""

    get: Callable[[BotContext, str], Awaitable[S | None]]
    pending: Callable[[S], bool]  # waiting for approval
    # Whether a clicked message may become its approval message (``buttons._adopt``).
    adopts: Callable[[S], bool]
    adopt: Callable[[BotContext, str, str, str], Awaitable[bool]]  # id, channel, ts
    # The core's decision, with what it tells (rendered here) queued with the change.
    decide: Callable[[BotContext, S, str, Verb], Awaitable[Decided[S]]]
    already_decided: Callable[[S], dict[str, Any]]  # the clicker's notice
    people: Callable[[S], Sequence[str | None]]  # whose Homes show it, approvers aside


# --- a single line's request --------------------------------------------------------------

async def _get_request(ctx: BotContext, request_id: str) -> LineRequest | None:
    return await ctx.repo.get(request_id) if request_id else None


async def _adopt_request(ctx: BotContext, request_id: str, channel: str, ts: str) -> bool:
    return await ctx.orders.adopt_approval_message(request_id, channel, ts)


async def _decide_request(ctx: BotContext, request: LineRequest, user_id: str, verb: Verb
                          ) -> Decided[LineRequest]:
    def tell(changed: LineRequest) -> list[OutboxMessage]:
        return decision_messages(ctx, changed)

    if verb == "cancel":
        decision = await ctx.orders.cancel(request.id, user_id, tell=tell)
        return Decided(decision.outcome, decision.request, decision.reason)
    def progress(changed: LineRequest, warnings: list[ApprovalWarning]
                 ) -> list[OutboxMessage]:
        return news.progress_messages(news.of_request(ctx, changed, warnings=warnings))

    decision = await ctx.orders.approve(request.id, user_id, known=request, tell=tell,
                                        progress=progress)
    return Decided(decision.outcome, decision.request, decision.reason)


SINGLE = Kind[LineRequest](
    get=_get_request,
    pending=lambda request: request.state is RequestState.PENDING,
    # A leaver's request's line gets its message with the whole request.
    adopts=lambda request: request.offboarding_id is None,
    adopt=_adopt_request,
    decide=_decide_request,
    already_decided=notices.already_decided,
    people=people_of,
)


# --- a leaver's request ---------------------------------------------------------------------

async def _get_bundle(ctx: BotContext, offboarding_id: str) -> Offboarding | None:
    return await ctx.offboarding.get(offboarding_id)


async def _adopt_bundle(ctx: BotContext, offboarding_id: str, channel: str, ts: str) -> bool:
    return await ctx.offboarding.adopt_message(offboarding_id, channel, ts)


async def _decide_bundle(ctx: BotContext, offboarding: Offboarding, user_id: str, verb: Verb
                         ) -> Decided[Offboarding]:
    act = ctx.offboarding.approve if verb == "approve" else ctx.offboarding.cancel
    decision = await act(offboarding.id, user_id, tellers(ctx), known=offboarding)
    decided = Decided(decision.outcome, decision.view.offboarding if decision.view else None,
                      decision.reason)
    if decided.made and verb == "approve" and decision.view is not None:
        # A Workflow Builder step run completes once all its lines are placed: the view
        # read after placing says so (the follower's round completes the rest).
        call = bundle_success(decision.view)
        if call is not None:
            await ctx.repo.enqueue_once(offboarding.id, call, WORKFLOW_STEP)
    return decided


BUNDLE = Kind[Offboarding](
    get=_get_bundle,
    pending=lambda offboarding: offboarding.state is OffboardingState.PENDING,
    adopts=lambda offboarding: True,
    adopt=_adopt_bundle,
    decide=_decide_bundle,
    already_decided=notices.bundle_already_decided,
    people=lambda offboarding: (offboarding.requester_id, offboarding.decided_by),
)
