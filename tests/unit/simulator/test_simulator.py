"""The simulator checks what the real MobProc would, and answers in the documented shapes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.mobproc import assumed
from bot.mobproc.models import ErrorBody
from bot.simulator import seed
from bot.simulator.server import RunningSimulator
from tests.conftest import Clock
from tests.support.mobproc import order


@pytest.fixture
async def http(simulator: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    c = simulator.config
    async with httpx.AsyncClient(base_url=simulator.base_url) as client:
        token = (await client.post(simulator.token_url, data={
            "grant_type": "password", "client_id": c.client_id,
            "client_secret": c.client_secret, "scope": c.scope, "username": c.username,
            "password": c.password})).json()["access_token"]
        client.headers.update({"Authorization": f"Bearer {token}", "client_id": c.client_id,
                               "X-TNGO-TENANT": c.tenant})
        yield client


async def refusal(http: httpx.AsyncClient, body: dict[str, Any]) -> str:
    answer = await http.post("/orders", params={"confirm": "true"}, json=body)
    assert answer.status_code == 400, answer.text
    data = answer.json()
    assert data["status"] == "ERROR"
    return " ".join(assumed.order_rejection_messages(data))


async def test_a_valid_order_is_confirmed(http: httpx.AsyncClient) -> None:
    answer = await http.post("/orders", params={"confirm": "true"}, json=order())
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("change", "expected"), [
    ({"CONTACT_NUMBER": None}, "Contact Phone Number is required"),
    ({"Reason": {"type": "CHOICE", "choice": {"id": "42"}}}, "not offered"),
    ({"Reason": {"type": "CHOICE", "choice": {"id": "99"}}}, "describe the other"),
    ({"CONTACT_NUMBER": {"type": "TEXT", "text": "1" * 21}}, "at most 20"),
    ({"CONTACT_NUMBER": {"type": "TEXT", "text": "call me now!"}}, "expected format"),
    ({"PREFERRED_SUSPENSION_DATE": {"type": "DATE", "date": "2020-01-01T00:00:00Z"}}, "past"),
    ({"CONTACT_NUMBER": {"type": "DATE", "date": "2030-01-01"}}, "sent as TEXT"),
    ({"MADE_UP": {"type": "TEXT", "text": "x"}}, "Unknown property"),
])
async def test_property_refusals(http: httpx.AsyncClient, change: dict[str, Any],
                                 expected: str) -> None:
    assert expected in await refusal(http, order(**change))


async def test_order_type_not_allowed_on_the_line(http: httpx.AsyncClient) -> None:
    message = await refusal(http, order(service_id="38382336"))  # suspended line
    assert "SUSPEND is not allowed" in message and "SUSPENDED" in message


async def test_transfer_refused_by_a_vendor_that_cannot(http: httpx.AsyncClient) -> None:
    body = order(service_id="38382555", tt="XFER_SERVICE_OUT",
                 PREFERRED_SUSPENSION_DATE=None, HOLD_SERVICE=None, Reason=None)
    assert "does not support" in await refusal(http, body)


async def test_transfer_needs_every_acknowledgement(http: httpx.AsyncClient) -> None:
    body = order(tt="XFER_SERVICE_OUT", PREFERRED_SUSPENSION_DATE=None, HOLD_SERVICE=None,
                 Reason=None, PERSONAL_EMAIL={"type": "TEXT", "text": "me@example.com"})
    assert "acknowledgement" in await refusal(http, body)
    body["orderRequest"]["acknowledgements"] = [
        {"id": a, "boolean": True} for a in ("FAMILY_SHARED_MINUTE_PLAN",
                                             "AUTHORIZATION_OF_TRANSFER", "TERMINATION_FEES")]
    answer = await http.post("/orders", params={"confirm": "true"}, json=body)
    assert answer.status_code == 200, answer.text


async def test_headers_are_checked(simulator: RunningSimulator, http: httpx.AsyncClient) -> None:
    for header, value, status in [("Authorization", "Bearer nope", 401),
                                  ("client_id", "someone-else", 401),
                                  ("X-TNGO-TENANT", "OTHER", 403)]:
        answer = await http.get("/assets/services/38382335", headers={header: value})
        assert answer.status_code == status
        error = ErrorBody.model_validate(answer.json())
        assert error.message and error.id and error.errorCode
    answer = await http.post("/orders", params={"confirm": "true"}, json=order(),
                             headers={"X-TNGO-CONTEXT-COMPANYEMPLOYEEID": "stranger@evil.test"})
    assert answer.status_code == 403


async def test_pagination(http: httpx.AsyncClient) -> None:
    first = (await http.get("/assets/services", params={"limit": 2})).json()["services"]
    assert len(first["items"]) == 2 and first["_meta"]["hrefNext"]
    seen = [s["id"] for s in first["items"]]
    next_url = first["_meta"]["hrefNext"]
    while next_url:
        page = (await http.get(next_url)).json()["services"]
        seen += [s["id"] for s in page["items"]]
        next_url = page["_meta"].get("hrefNext")
    assert len(seen) == len(set(seen)) == first["_meta"]["totalCount"]


async def test_properties_need_a_service_or_vendor(http: httpx.AsyncClient) -> None:
    answer = await http.get("/orders/properties", params={"transactionType": "SUSPEND"})
    assert answer.status_code == 400
    assert answer.json()["message"] == "Region ID or Service ID must be passed in."


async def test_orders_progress_and_change_the_line(http: httpx.AsyncClient, clock: Clock,
                                                   simulator: RunningSimulator) -> None:
    placed = (await http.post("/orders", json=order())).json()["order"]
    statuses = [placed["status"]]
    for _ in range(3):
        clock.advance(simulator.config.step_seconds)
        statuses.append((await http.get(f"/orders/{placed['orderId']}")).json()["order"]["status"])
    assert statuses == ["ORDER_SUBMITTED", "IN_PROGRESS", "COMPLETE", "COMPLETE"]
    line = (await http.get("/assets/services/38382335")).json()
    assert line["status"] == "SUSPENDED" and "UNSUSPEND" in line["orderActions"]
    found = (await http.get("/orders", params={"externalOrderNumber": "SIM-1"})).json()
    assert [o["orderId"] for o in found["orders"]["items"]] == [placed["orderId"]]
    none = (await http.get("/orders", params={"externalOrderNumber": "nope"})).json()
    assert none["orders"]["items"] == []
    assert (await http.get("/orders/1")).status_code == 404


async def test_bench_people_each_have_a_line_and_every_answer_can_be_made_late() -> None:
    import time

    from bot.simulator.server import SimulatorConfig, start_simulator

    sim = await start_simulator(SimulatorConfig(latency_seconds=0.3, bench_people=200))
    try:
        c = sim.config
        async with httpx.AsyncClient(base_url=sim.base_url) as client:
            started = time.monotonic()
            token = (await client.post(sim.token_url, data={
                "grant_type": "password", "client_id": c.client_id,
                "client_secret": c.client_secret, "scope": c.scope, "username": c.username,
                "password": c.password})).json()["access_token"]
            assert time.monotonic() - started >= 0.3
            client.headers.update({"Authorization": f"Bearer {token}",
                                   "client_id": c.client_id, "X-TNGO-TENANT": c.tenant})
            started = time.monotonic()
            found = (await client.get("/assets/services",
                                      params={"serviceNumber": "6285551199"})).json()
            assert time.monotonic() - started >= 0.3
        [line] = found["services"]["items"]
        assert line["status"] == "ACTIVE" and "SUSPEND" in line["orderActions"]
        # 200 lines, 200 owners, none shared, none clashing with the hand-made seed.
        numbers = [s["serviceNumber"] for s in sim.state.services.values()]
        assert len(numbers) == len(set(numbers)) == 200 + len(seed.SERVICES)
        owners = {s["employee"] for s in sim.state.services.values()
                  if s["serviceNumber"].startswith("628555")}
        assert len(owners) == 200 and owners <= set(sim.state.employees)
    finally:
        await sim.stop()
