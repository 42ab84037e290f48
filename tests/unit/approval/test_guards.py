"""Who may decide a request: the same rules for a single line's request (``OrderService``)
and a leaver's request of several lines (``OffboardingService``), both through
``bot.approval.guards``. Each rule is checked through each service, so either kind losing a
rule fails here. Storage is faked: a click that passes the guards reaches it (``Passed``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from bot.approval.approvers import ApprovalPolicy, ApproverDirectory
from bot.approval.guards import (
    CANCEL_NOT_ALLOWED,
    NO_APPROVERS,
    NOT_AN_APPROVER,
    OWN_REQUEST,
    DecisionGuards,
    already_decided,
    own_request_refusal,
    refused_click,
)
from bot.domain import LineRequest, RequestState
from bot.mobproc.models import ServiceAsset, TransactionType
from bot.offboarding.models import Offboarding, OffboardingState
from bot.offboarding.service import OffboardingService
from bot.orders.service import DecisionOutcome, OrderService
from bot.storage.audit import Audit

NOW = datetime(2026, 1, 1, tzinfo=UTC)
APPROVER, OTHER_APPROVER, AGENT, STRANGER = "UAPPROVER", "UAPPROVER2", "UAGENT", "USTRANGER"


class Passed(Exception):
    """The click got past every guard and reached the state change."""


async def no_groups(group: str) -> list[str]:
    return []


def _line(requester: str, entered_by: str | None = None) -> LineRequest:
    return LineRequest(
        id="r1", transaction_type=TransactionType.SUSPEND, state=RequestState.PENDING,
        requester_id=requester, service=ServiceAsset(id="1", serviceNumber="4045553104"),
        external_order_number="SLACK-1", created_at=NOW, entered_by=entered_by)


def _bundle(requester: str) -> Offboarding:
    return Offboarding(id="o1", state=OffboardingState.PENDING, requester_id=requester,
                       employee_ref="E1", created_at=NOW)


@dataclass
class FakeRepo:
    """Both repositories, as far as a refused click goes."""

    request: LineRequest | None = None
    offboarding: Offboarding | None = None
    audits: list[tuple[str, Audit]] = field(default_factory=list)
    engine: Any = None

    async def audit(self, key: str, audit: Audit) -> None:
        self.audits.append((key, audit))

    async def get(self, key: str) -> Any:
        return self.request if self.request is not None else self.offboarding

    async def orders(self, key: str) -> list[LineRequest]:
        assert self.offboarding is not None
        return [_line(self.offboarding.requester_id).model_copy(
            update={"state": RequestState.PENDING, "offboarding_id": key})]

    async def move(self, *args: Any, **kwargs: Any) -> None:
        raise Passed

    async def transition(self, *args: Any, **kwargs: Any) -> None:
        raise Passed


class FakeApprovals:
    async def count(self, step: Any) -> None:
        raise Passed

    async def approvers(self, ids: Any) -> dict[str, tuple[str, ...]]:
        return {}


def _orders(repo: FakeRepo, approvers: list[str], *, self_approval: bool,
            required: int) -> OrderService:
    mobproc = SimpleNamespace(config=SimpleNamespace(lease_seconds=30.0))
    policy = ApprovalPolicy({TransactionType.SUSPEND.value: required})
    orders = OrderService(mobproc, repo, ApproverDirectory(approvers, no_groups),  # type: ignore[arg-type]
                          allow_self_approval=self_approval, policy=policy)
    orders.approvals = FakeApprovals()  # type: ignore[assignment]
    orders.approving.approvals = orders.approvals
    return orders


@dataclass
class Kind:
    """One kind of request: its ``approve`` and ``cancel`` as (outcome, reason), and the
    audits of refused clicks."""

    name: str
    requester: str
    entered_by: str | None
    approvers: list[str]
    self_approval: bool = False
    required: int = 1
    repo: FakeRepo = field(default_factory=FakeRepo)

    @property
    def key(self) -> str:
        """The id of the request decided: the line's or the leaver's request's."""
        return "r1" if self.name == "line" else "o1"

    def service(self) -> Any:
        if self.name == "line":
            self.repo.request = _line(self.requester, self.entered_by)
            return _orders(self.repo, self.approvers, self_approval=self.self_approval,
                           required=self.required)
        self.repo.offboarding = _bundle(self.requester)
        orders = _orders(self.repo, self.approvers, self_approval=self.self_approval,
                         required=self.required)
        return OffboardingService(orders, self.repo, posts=None)  # type: ignore[arg-type]

    async def decide(self, action: str, user_id: str) -> tuple[str, str | None]:
        service = self.service()
        try:
            decision = await getattr(service, action)(self.key, user_id)
        except Passed:
            return "passed", None
        return decision.outcome, decision.reason


KINDS = ["line", "bundle"]


def kind(name: str, requester: str = AGENT, *, approvers: list[str] | None = None,
         self_approval: bool = False, required: int = 1, entered_by: str | None = None
         ) -> Kind:
    return Kind(name, requester, entered_by, [APPROVER, OTHER_APPROVER]
                if approvers is None else approvers, self_approval, required)


@pytest.mark.parametrize("name", KINDS)
async def test_nobody_approves_when_no_approvers_are_configured(name: str) -> None:
    k = kind(name, approvers=[])
    assert await k.decide("approve", APPROVER) == (DecisionOutcome.NOT_ALLOWED, NO_APPROVERS)
    assert k.repo.audits == [(k.key, refused_click(APPROVER, "approve", NO_APPROVERS))]


@pytest.mark.parametrize("name", KINDS)
async def test_only_an_approver_approves(name: str) -> None:
    k = kind(name)
    assert await k.decide("approve", STRANGER) == (DecisionOutcome.NOT_ALLOWED,
                                                   NOT_AN_APPROVER)
    assert await kind(name).decide("approve", APPROVER) == ("passed", None)


@pytest.mark.parametrize("name", KINDS)
async def test_an_approver_cannot_approve_their_own_request(name: str) -> None:
    assert await kind(name, APPROVER).decide("approve", APPROVER) == (
        DecisionOutcome.NOT_ALLOWED, OWN_REQUEST)
    # ALLOW_SELF_APPROVAL lets them, where one approval is enough.
    assert await kind(name, APPROVER, self_approval=True).decide("approve", APPROVER) == (
        "passed", None)


@pytest.mark.parametrize("name", KINDS)
async def test_whoever_asked_never_counts_when_several_approvals_are_needed(name: str
                                                                          ) -> None:
    k = kind(name, APPROVER, self_approval=True, required=2)
    assert await k.decide("approve", APPROVER) == (DecisionOutcome.NOT_ALLOWED,
                                                   own_request_refusal(2))
    assert await kind(name, APPROVER, self_approval=True, required=2).decide(
        "approve", OTHER_APPROVER) == ("passed", None)


async def test_whoever_filled_in_a_single_requests_form_never_counts_when_several_are_needed(
        ) -> None:
    # A help-desk agent (an approver) entered it for someone else.
    k = kind("line", STRANGER, entered_by=APPROVER, required=2)
    assert await k.decide("approve", APPROVER) == (DecisionOutcome.NOT_ALLOWED,
                                                   own_request_refusal(2))
    assert await kind("line", STRANGER, entered_by=APPROVER).decide("approve", APPROVER) == (
        "passed", None)


@pytest.mark.parametrize("name", KINDS)
async def test_the_requester_or_an_approver_may_cancel_nobody_else(name: str) -> None:
    k = kind(name)
    assert await k.decide("cancel", STRANGER) == (DecisionOutcome.NOT_ALLOWED,
                                                  CANCEL_NOT_ALLOWED)
    assert [a for _, a in k.repo.audits] == [refused_click(STRANGER, "cancel",
                                                           CANCEL_NOT_ALLOWED)]
    assert await kind(name).decide("cancel", AGENT) == ("passed", None)
    assert await kind(name).decide("cancel", APPROVER) == ("passed", None)


async def test_the_rules_read_any_kind_of_request() -> None:
    guards = DecisionGuards(ApproverDirectory([APPROVER], no_groups))
    for request in (_line(APPROVER), _bundle(APPROVER)):
        assert await guards.approval_refusal(request, APPROVER, 1) == OWN_REQUEST
        assert await guards.may_cancel(request, APPROVER)
    assert _bundle(AGENT).enterer == AGENT  # whoever ran /offboard-lines filled it in


def test_a_click_on_a_decided_request_is_audited_with_what_it_is() -> None:
    assert already_decided("U1", "approve", "cancelled") == Audit(
        "U1", "refused_click", {"action": "approve", "reason": "already cancelled"})
    assert already_decided("U1", "cancel", None).detail == {"action": "cancel",
                                                             "reason": "already unknown"}
