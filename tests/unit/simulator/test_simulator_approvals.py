"""MobProc's own approval workflow, as the simulator plays it and the client reads it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from pydantic import SecretStr

from bot.mobproc import assumed
from bot.mobproc.client import MobProcClient, MobProcConfig
from bot.mobproc.errors import MobProcOutcomeUnknown, MobProcRefused
from bot.mobproc.models import ApprovalRequest, ApprovalResponse, OrderRequest
from bot.simulator.server import RunningSimulator
from tests.conftest import FIXTURES, Clock
from tests.support.mobproc import order
from tests.support.mobproc_approvals import simulator as simulator

AVERY, SAM, OLIVE = "avery@acme.com", "sam.supervisor.acme", "olive@acme.com"


@pytest.fixture
async def mobproc(simulator: RunningSimulator) -> AsyncIterator[MobProcClient]:
    c = simulator.config
    client = MobProcClient(MobProcConfig(
        base_url=simulator.base_url, token_url=simulator.token_url, client_id=c.client_id,
        client_secret=SecretStr(c.client_secret), username=c.username,
        password=SecretStr(c.password), tenant=c.tenant, retry_base_seconds=0.01))
    yield client
    await client.aclose()


async def _place(mobproc: MobProcClient, external: str = "SIM-1") -> str:
    body = order()
    body["orderRequest"]["externalOrderNumber"] = external
    placed = await mobproc.submit_order(OrderRequest.model_validate(body["orderRequest"]),
                                        on_behalf_of=OLIVE)
    return placed.orderId


def test_the_published_approval_example_parses() -> None:
    example = json.loads((FIXTURES / "mobproc" / "approval.json").read_text())
    assert ApprovalRequest.model_validate(example["request"]).action == "APPROVE"
    assert ApprovalResponse.model_validate(example["response"]).status == "APPROVAL_QUEUED"


async def test_a_chosen_order_waits_for_its_approvers_and_is_listed_for_them(
        mobproc: MobProcClient, clock: Clock) -> None:
    portal = await mobproc.orders_awaiting(AVERY)
    assert [o.externalOrderNumber for o in portal] == ["PORTAL-20261120-0001"]
    order_id = await _place(mobproc)
    assert (await mobproc.get_order(order_id)).status == "ORDER_SUBMITTED"
    # Not ready yet: MobProc says so, to an eligible approver.
    answer = ApprovalRequest(action="APPROVE", reason="ok")
    assert await mobproc.answer_approval(order_id, answer, on_behalf_of=AVERY) == \
        "NOT_READY_FOR_APPROVAL"
    clock.advance(10)
    assert (await mobproc.get_order(order_id)).status == assumed.AWAITING_APPROVAL
    # Listed for both approvers (by e-mail or employee id), for nobody else.
    assert order_id in [o.orderId for o in await mobproc.orders_awaiting(AVERY)]
    assert order_id in [o.orderId for o in await mobproc.orders_awaiting(SAM)]
    assert await mobproc.orders_awaiting(OLIVE) == []
    assert await mobproc.orders_awaiting("nobody@example.com") == []
    with pytest.raises(MobProcRefused, match="not eligible"):
        await mobproc.answer_approval(order_id, answer, on_behalf_of=OLIVE)
    assert await mobproc.answer_approval(order_id, answer, on_behalf_of=AVERY) == \
        "APPROVAL_QUEUED"
    # Decided: nobody's list, and a second answer is not needed.
    assert order_id not in [o.orderId for o in await mobproc.orders_awaiting(SAM)]
    assert await mobproc.answer_approval(order_id, answer, on_behalf_of=SAM) == \
        "APPROVAL_NOT_NEEDED"
    placed = await mobproc.get_order(order_id)
    assert placed.status == "IN_PROGRESS"
    decided = assumed.approval_of(placed)
    assert decided is not None and decided.action == "APPROVE"
    assert decided.decidedBy is not None and decided.decidedBy.display_name == "Avery Approver"


async def test_a_rejection_needs_a_reason_within_mobprocs_limit(
        mobproc: MobProcClient, clock: Clock) -> None:
    order_id = await _place(mobproc)
    clock.advance(10)
    with pytest.raises(MobProcRefused, match="reason is required"):
        await mobproc.answer_approval(order_id, ApprovalRequest(action="REJECT"),
                                      on_behalf_of=SAM)
    too_long = "x" * (assumed.APPROVAL_REASON_MAX_LENGTH + 1)
    with pytest.raises(MobProcRefused, match="at most"):
        await mobproc.answer_approval(order_id, ApprovalRequest(action="REJECT",
                                                                reason=too_long),
                                      on_behalf_of=SAM)
    assert await mobproc.answer_approval(
        order_id, ApprovalRequest(action="REJECT", reason="Not in budget"),
        on_behalf_of=SAM) == "REJECTION_QUEUED"
    rejected = await mobproc.get_order(order_id)
    assert rejected.status == "REJECTED"
    history = [h.status for h in await mobproc.get_history(order_id,
                                                            rejected.segments[0].orderSegmentId)]
    assert history == ["ORDER_SUBMITTED", assumed.AWAITING_APPROVAL, "REJECTED"]


async def test_orders_of_other_types_need_no_approval(mobproc: MobProcClient,
                                                      simulator: RunningSimulator,
                                                      clock: Clock) -> None:
    simulator.state.approval_types = frozenset()
    order_id = await _place(mobproc)
    clock.advance(10)
    assert (await mobproc.get_order(order_id)).status == "IN_PROGRESS"
    assert await mobproc.answer_approval(order_id, ApprovalRequest(action="APPROVE"),
                                         on_behalf_of=AVERY) == "APPROVAL_NOT_NEEDED"


async def test_the_waiting_list_is_paged(mobproc: MobProcClient, simulator: RunningSimulator,
                                         clock: Clock) -> None:
    for n in range(30):  # more than one page of 25
        await _place(mobproc, external=f"SIM-{n}")
    clock.advance(10)
    waiting = await mobproc.orders_awaiting(AVERY)
    assert len(waiting) == 31 and len({o.orderId for o in waiting}) == 31


async def test_a_lost_approval_answer_is_outcome_unknown(
        mobproc: MobProcClient, simulator: RunningSimulator, clock: Clock) -> None:
    order_id = await _place(mobproc)
    clock.advance(10)
    simulator.state.add_fault("POST", r"/approval$", drop_after_processing=True)
    with pytest.raises(MobProcOutcomeUnknown):
        await mobproc.answer_approval(order_id, ApprovalRequest(action="APPROVE"),
                                      on_behalf_of=AVERY)
    assert len(simulator.state.approval_posts) == 1  # sent once, never resent
    assert (await mobproc.get_order(order_id)).status == "IN_PROGRESS"
