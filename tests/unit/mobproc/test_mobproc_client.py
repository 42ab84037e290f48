"""The MobProc client against the simulator, over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from bot.mobproc.client import TOKEN_RENEW_MARGIN_SECONDS, MobProcClient, MobProcConfig
from bot.mobproc.errors import (
    MobProcAuthError,
    MobProcNotFound,
    MobProcOutcomeUnknown,
    MobProcRefused,
    MobProcUnavailable,
)
from bot.mobproc.models import (
    ChoiceValue,
    OrderRequest,
    PropertyValue,
    PropertyValueGroup,
    TransactionType,
)
from bot.simulator.server import RunningSimulator
from tests.conftest import Clock
from tests.support.mobproc import config_for


@pytest.fixture
async def client(simulator: RunningSimulator) -> AsyncIterator[MobProcClient]:
    c = MobProcClient(config_for(simulator))
    yield c
    await c.aclose()


def suspend_order(service_id: str, number: str, external: str = "T-1") -> OrderRequest:
    tomorrow = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=1)
    fields = [
        PropertyValue(id="SERVICE_NUMBER", type="TEXT", text=number),
        PropertyValue(id="CONTACT_NUMBER", type="TEXT", text="2035559999"),
        PropertyValue(id="PREFERRED_SUSPENSION_DATE", type="DATE", date=tomorrow),
    ]
    return OrderRequest(externalOrderNumber=external, transactionType="SUSPEND",
                        serviceId=service_id,
                        properties=[PropertyValueGroup(groupId="MISCELLANEOUS", fields=fields)])


async def complete_suspend_order(client: MobProcClient, number: str, external: str
                                 ) -> OrderRequest:
    """A SUSPEND order with every required property, built from MobProc's own definitions."""
    service = await client.find_service(number)
    assert service is not None
    groups = await client.get_properties("SUSPEND", service.id)
    tomorrow = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=1)
    values: list[PropertyValueGroup] = []
    for group in groups:
        fields: list[PropertyValue] = []
        for d in group.fields:
            if not d.required:
                continue
            if d.type == "DATE":
                fields.append(PropertyValue(id=d.id, type="DATE", date=tomorrow))
            elif d.type == "CHOICE":
                choice = next(c for c in d.choices if not c.isOther)
                fields.append(PropertyValue(id=d.id, type="CHOICE",
                                            choice=ChoiceValue(id=choice.id)))
            else:
                fields.append(PropertyValue(id=d.id, type="TEXT",
                                            text=d.text or "2035559999"))
        values.append(PropertyValueGroup(groupId=group.groupId, fields=fields))
    return OrderRequest(externalOrderNumber=external, transactionType="SUSPEND",
                        serviceId=service.id, properties=values)


async def test_finds_lines_by_number_and_id(client: MobProcClient) -> None:
    service = await client.find_service("4155550199")
    assert service is not None and service.serviceNumber == "4155550199"
    assert TransactionType.SUSPEND.value in service.orderActions
    again = await client.get_service(service.id)
    assert again.id == service.id and again.employee is not None
    assert await client.find_service("4155550000") is None
    with pytest.raises(MobProcNotFound):
        await client.get_service("999999999")


async def test_properties_and_acknowledgements(client: MobProcClient) -> None:
    service = await client.find_service("4155550199")
    assert service is not None
    groups = await client.get_properties("SUSPEND", service.id)
    ids = {f.id for g in groups for f in g.fields}
    assert {"CONTACT_NUMBER", "PREFERRED_SUSPENSION_DATE", "Reason"} <= ids
    assert service.vendor_id
    acks = await client.get_acknowledgements("XFER_SERVICE_OUT", service.vendor_id)
    assert acks.acknowledgements and all(a.required for a in acks.acknowledgements)
    assert acks.infoblocks


async def test_confirm_then_submit_then_follow(client: MobProcClient,
                                               simulator: RunningSimulator,
                                               clock: Clock) -> None:
    order = await complete_suspend_order(client, "4155550199", "T-confirm-1")
    confirmation = await client.confirm_order(order, on_behalf_of="peter.edwards@acme.com")
    assert confirmation.transactionType == "SUSPEND"
    assert confirmation.service is not None and confirmation.service.serviceNumber == "4155550199"
    assert await client.find_orders_by_external_number("T-confirm-1") == []

    placed = await client.submit_order(order, on_behalf_of="peter.edwards@acme.com")
    assert placed.status == "ORDER_SUBMITTED" and placed.segments
    found = await client.find_orders_by_external_number("T-confirm-1")
    assert [o.orderId for o in found] == [placed.orderId]
    clock.advance(simulator.config.step_seconds)
    later = await client.get_order(placed.orderId)
    assert later.status != placed.status
    history = await client.get_history(placed.orderId, placed.segments[0].orderSegmentId)
    assert [h.status for h in history][:2] == ["ORDER_SUBMITTED", later.status]
    # The context header carried the person the order is for.
    sent = [p for p in simulator.state.order_posts if not p.get("confirm")]
    assert [p["context"] for p in sent] == ["peter.edwards@acme.com"]


async def test_a_refused_order_carries_mobproc_message(client: MobProcClient) -> None:
    service = await client.find_service("4155550199")
    assert service is not None
    bad = suspend_order(service.id, "4155550199")
    bad.properties[0].fields = []  # every required property missing
    with pytest.raises(MobProcRefused) as refused:
        await client.confirm_order(bad, on_behalf_of=None)
    assert refused.value.message and refused.value.status == 400


async def test_one_token_fetch_shared_by_concurrent_calls(client: MobProcClient,
                                                          simulator: RunningSimulator) -> None:
    before = simulator.state.token_requests
    await asyncio.gather(*(client.find_service("4155550199") for _ in range(20)))
    assert simulator.state.token_requests - before == 1


async def test_a_401_renews_the_token_once_and_retries(client: MobProcClient,
                                                       simulator: RunningSimulator) -> None:
    await client.find_service("4155550199")
    before = simulator.state.token_requests
    simulator.state.revoke_tokens()
    assert await client.find_service("4155550199") is not None
    assert simulator.state.token_requests - before == 1


async def test_token_renewed_before_expiry(simulator: RunningSimulator) -> None:
    now = [1000.0]
    c = MobProcClient(config_for(simulator), clock=lambda: now[0])
    try:
        await c.find_service("4155550199")
        first = simulator.state.token_requests
        now[0] += simulator.config.token_lifetime_seconds / 2
        await c.find_service("4155550199")
        assert simulator.state.token_requests == first, "a fresh token is reused"
        # Inside the renewal margin before expiry: renewed (with the refresh token).
        now[0] += simulator.config.token_lifetime_seconds / 2 - TOKEN_RENEW_MARGIN_SECONDS / 2
        await c.find_service("4155550199")
        assert simulator.state.token_requests == first + 1
    finally:
        await c.aclose()


async def test_bad_credentials_are_reported_without_the_secret(simulator: RunningSimulator
                                                               ) -> None:
    c = MobProcClient(config_for(simulator, password=SecretStr("wrong-password-123")))
    try:
        with pytest.raises(MobProcAuthError) as failure:
            await c.find_service("4155550199")
        assert "wrong-password-123" not in str(failure.value)
    finally:
        await c.aclose()


async def test_wrong_tenant_is_refused(simulator: RunningSimulator) -> None:
    c = MobProcClient(config_for(simulator, tenant="OTHER"))
    try:
        with pytest.raises(MobProcRefused):
            await c.find_service("4155550199")
    finally:
        await c.aclose()


async def test_passing_server_errors_and_timeouts_are_retried(
        client: MobProcClient, simulator: RunningSimulator) -> None:
    simulator.state.add_fault("GET", r"/assets/services", status=503)
    assert await client.find_service("4155550199") is not None
    simulator.state.add_fault("GET", r"/assets/services", delay=3.0)  # past the 2 s timeout
    assert await client.find_service("4155550199") is not None
    assert not simulator.state.faults, "each fault was met once, then the retry succeeded"


async def test_a_lasting_outage_gives_up_after_bounded_retries(
        client: MobProcClient, simulator: RunningSimulator) -> None:
    simulator.state.add_fault("GET", r"/assets/services", status=500, times=10)
    with pytest.raises(MobProcUnavailable):
        await client.find_service("4155550199")
    attempts = 10 - simulator.state.faults[0].times
    assert attempts == client.config.retry_attempts


async def test_a_refusal_is_not_retried(client: MobProcClient,
                                        simulator: RunningSimulator) -> None:
    simulator.state.add_fault("GET", r"/assets/services/", status=400, times=10)
    with pytest.raises(MobProcRefused):
        await client.get_service("38382335")
    assert simulator.state.faults[0].times == 9


async def test_a_server_error_on_submission_is_outcome_unknown(
        client: MobProcClient, simulator: RunningSimulator) -> None:
    order = await complete_suspend_order(client, "4155550199", "T-500")
    simulator.state.add_fault("POST", r"/orders$", status=500)
    with pytest.raises(MobProcOutcomeUnknown):
        await client.submit_order(order, on_behalf_of=None)
    assert not [p for p in simulator.state.order_posts if not p["confirm"]], "never resent"


async def test_a_lost_answer_to_a_submission_is_outcome_unknown(
        client: MobProcClient, simulator: RunningSimulator) -> None:
    order = await complete_suspend_order(client, "4155550199", "T-lost-1")
    simulator.state.add_fault("POST", r"/orders$", drop_after_processing=True)
    with pytest.raises(MobProcOutcomeUnknown):
        await client.submit_order(order, on_behalf_of=None)
    # The order was placed all the same, and the client can find it.
    assert len(await client.find_orders_by_external_number("T-lost-1")) == 1


async def test_unreachable_mobproc_is_unavailable() -> None:
    c = MobProcClient(MobProcConfig(
        base_url="http://127.0.0.1:9/mobproc/v1", token_url="http://127.0.0.1:9/token",
        client_id="x", client_secret=SecretStr("y"), username="u", password=SecretStr("p"),
        tenant="T", timeout_seconds=1.0))
    try:
        with pytest.raises(MobProcUnavailable):
            await c.find_service("4155550199")
    finally:
        await c.aclose()

