"""Every published MobProc example parses into the client's models."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from bot.mobproc import assumed
from bot.mobproc.models import (
    AcknowledgementsResponse,
    ApprovalRequest,
    ApprovalResponse,
    ConfirmationResponse,
    ErrorBody,
    OrderRequestEnvelope,
    OrderResponse,
    PropertiesResponse,
    ServiceAsset,
    TokenResponse,
)
from tests.conftest import FIXTURES

EXAMPLES = FIXTURES / "mobproc"


def model_for(name: str) -> type[BaseModel] | None:
    if name.endswith(".request.json"):
        return OrderRequestEnvelope
    if name.endswith(".confirmation.json"):
        return ConfirmationResponse
    if name.endswith(".order.json"):
        return OrderResponse
    if name.startswith("properties."):
        return PropertiesResponse
    return {"token.json": TokenResponse, "error.json": ErrorBody,
            "service_asset.json": ServiceAsset, "acknowledgements.json": AcknowledgementsResponse,
            "approval.json": None}.get(name, BaseModel)


def load(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def test_the_examples_are_there() -> None:
    # Guards the parametrized test below against silently running on an empty folder.
    names = {p.name for p in EXAMPLES.glob("*.json")}
    for kind in ("suspend", "unsuspend", "deactivate", "xfer_service_out"):
        assert {f"{kind}.request.json", f"{kind}.confirmation.json",
                f"{kind}.order.json"} <= names


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_every_example_parses(path: Path) -> None:
    model = model_for(path.name)
    assert model is not BaseModel, f"no model mapped for new example {path.name}"
    data = json.loads(path.read_text())
    if model is None:  # approval.json holds a request and its response
        assert ApprovalRequest.model_validate(data["request"]).action == "APPROVE"
        assert ApprovalResponse.model_validate(data["response"]).status == "APPROVAL_QUEUED"
        return
    parsed = model.model_validate(data)
    # Nothing the example holds is lost: the dump has every key of the original.
    dumped = parsed.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert set(data) <= set(dumped)


def test_service_asset_fields() -> None:
    service = ServiceAsset.model_validate(load("service_asset.json"))
    assert service.serviceNumber == "4045553104"
    assert "SUSPEND" in service.orderActions and "XFER_SERVICE_OUT" not in service.orderActions
    assert service.vendor_name == "Verizon Wireless" and service.vendor_id == "8516701"
    assert service.device is not None
    assert service.device.display_name == "Apple iPhone 6 (16GB) - Space Gray"
    assert service.employee is not None and service.employee.email == "barbara.andrews@acme.com"


def test_confirmation_device_model_is_a_string() -> None:
    confirmation = ConfirmationResponse.model_validate(load("suspend.confirmation.json"))
    device = confirmation.orderConfirmation.device
    assert device is not None and device.model == "iPhone 6 Plus (16GB) gold"
    assert device.display_name == "Apple iPhone 6 Plus (16GB) gold"


def test_property_ids_keep_their_case() -> None:
    props = PropertiesResponse.model_validate(load("properties.new_activation.json"))
    fields = {f.id: f for g in props.properties.items for f in g.fields}
    assert "Reason" in fields and fields["Reason"].required
    assert [c.label for c in fields["Reason"].choices] == ["Broken Device",
                                                           "Job required upgrade to data device"]
    assert fields["CONTACT_NUMBER"].text == "2038599360"
    assert not fields["CONTACT_NUMBER_EXT"].required


def test_order_segments_and_history_links() -> None:
    order = OrderResponse.model_validate(load("suspend.order.json")).order
    assert order.orderId == "8711660" and order.status == "ORDER_SUBMITTED"
    segment = order.segments[0]
    assert segment.orderSegmentId == "8711661"
    assert segment.meta is not None and segment.meta.hrefHistory is not None
    assert segment.meta.hrefHistory.endswith("orderSegment=8711661")


def _normalise(body: Any) -> Any:
    """Dates compared as instants: 'Z' and '+00:00' are the same moment."""
    if isinstance(body, dict):
        return {k: (datetime.fromisoformat(v.replace("Z", "+00:00")) if k == "date" else
                    _normalise(v)) for k, v in body.items()}
    if isinstance(body, list):
        return [_normalise(v) for v in body]
    return body


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.request.json")))
def test_order_requests_round_trip(name: str) -> None:
    original = load(name)
    request = OrderRequestEnvelope.model_validate(original).orderRequest
    assert _normalise(request.to_body()) == _normalise(original)


def test_rejection_messages_are_read_from_any_shape() -> None:
    assert assumed.order_rejection_messages(load("error.json")) == [
        "Region ID or Service ID must be passed in."]
    nested = {"status": "ERROR", "errors": [{"errorCode": "E1"},
                                            {"detail": {"message": "Date is in the past"}}]}
    assert assumed.order_rejection_messages(nested) == ["E1", "Date is in the past"]
    assert assumed.order_rejection_messages({"status": "ERROR"}) == []
