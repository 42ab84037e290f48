"""What the simulator checks in an order request, as the real API would."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from bot.simulator import seed
from bot.simulator.state import ApiError, SimulatorState

IN_SCOPE = ("SUSPEND", "UNSUSPEND", "DEACTIVATE", "XFER_SERVICE_OUT")


def refuse(code: str, message: str, status: int = 400) -> ApiError:
    return ApiError(status, code, message, order=True)


def definitions_for(state: SimulatorState, transaction_type: str,
                    service: dict[str, Any]) -> list[dict[str, Any]]:
    holder = state.employees.get(service["employee"], {})
    return seed.property_definitions(transaction_type, service["serviceNumber"],
                                     holder.get("officePhone"))


def validate_order(state: SimulatorState, body: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The order request and its service, or an ``ApiError`` saying what is wrong."""
    if not isinstance(body, dict) or not isinstance(body.get("orderRequest"), dict):
        raise refuse("400-Malformed-Request", "The body must be {\"orderRequest\": {...}}.")
    request = body["orderRequest"]
    for name in ("externalOrderNumber", "transactionType", "serviceId"):
        if not isinstance(request.get(name), str) or not request[name].strip():
            raise refuse(f"400-{name}-Required", f"{name} is required.")
    transaction_type = request["transactionType"]
    if transaction_type not in IN_SCOPE:
        raise refuse("400-TransactionType", f"Unknown transactionType {transaction_type}.")
    try:
        service = state.service(request["serviceId"])
    except ApiError as exc:
        raise refuse(exc.code, exc.message, exc.status) from None
    if transaction_type not in service["orderActions"]:
        raise refuse("400-Order-Action-Not-Allowed",
                      f"{transaction_type} is not allowed on service {service['serviceNumber']} "
                      f"right now (its status is {service['status']}).")
    vendor = seed.VENDORS[service["vendor"]]
    if transaction_type == "XFER_SERVICE_OUT" and not vendor["supports_transfer_out"]:
        raise refuse("400-Vendor-Unsupported",
                      f"{vendor['name']} does not support transferring a line to personal "
                      "liability.")
    _check_properties(state, request, definitions_for(state, transaction_type, service))
    if transaction_type == "XFER_SERVICE_OUT":
        accepted = {a.get("id") for a in request.get("acknowledgements") or []
                    if isinstance(a, dict) and a.get("boolean") is True}
        missing = [a["label"] for a in seed.ACKNOWLEDGEMENTS
                   if a["validation"] == "REQUIRED" and a["id"] not in accepted]
        if missing:
            raise refuse("400-Acknowledgement-Required",
                         f"Every acknowledgement must be accepted: {missing[0]}")
    return request, service


def _check_properties(state: SimulatorState, request: dict[str, Any],
                      definitions: list[dict[str, Any]]) -> None:
    by_id = {d["id"]: d for d in definitions}
    sent: dict[str, dict[str, Any]] = {}
    for group in request.get("properties") or []:
        if not isinstance(group, dict) or not isinstance(group.get("fields"), list):
            raise refuse("400-Malformed-Properties", "Each property group needs fields.")
        for value in group["fields"]:
            if not isinstance(value, dict) or value.get("id") not in by_id:
                unknown = value.get("id") if isinstance(value, dict) else value
                raise refuse("400-Unknown-Property", f"Unknown property {unknown}.")
            sent[value["id"]] = value
    for definition in definitions:
        value = sent.get(definition["id"])
        if value is None:
            if definition["validation"] == "REQUIRED":
                raise refuse("400-Property-Required", f"{definition['label']} is required.")
            continue
        _check_value(state, definition, value)


def _check_value(state: SimulatorState, definition: dict[str, Any], value: dict[str, Any]
                 ) -> None:
    label, kind = definition["label"], definition["type"]
    if value.get("type") != kind:
        raise refuse("400-Property-Type", f"{label} must be sent as {kind}.")
    if kind == "TEXT":
        text = value.get("text")
        if not isinstance(text, str) or (definition["validation"] == "REQUIRED"
                                         and not text.strip()):
            raise refuse("400-Property-Required", f"{label} is required.")
        if definition.get("maxLength") and len(text) > definition["maxLength"]:
            raise refuse("400-Property-Length",
                          f"{label} must be at most {definition['maxLength']} characters.")
        if definition.get("minLength") and len(text) < definition["minLength"]:
            raise refuse("400-Property-Length",
                          f"{label} must be at least {definition['minLength']} characters.")
        if definition.get("regEx") and not re.fullmatch(definition["regEx"], text):
            raise refuse("400-Property-Format", f"{label} is not in the expected format.")
    elif kind == "DATE":
        try:
            when = datetime.fromisoformat(str(value.get("date")).replace("Z", "+00:00"))
        except ValueError:
            raise refuse("400-Property-Date", f"{label} must be an ISO 8601 date.") from None
        today: date = state.clock().date()
        if definition["id"].startswith("PREFERRED") and when.date() < today:
            raise refuse("400-Property-Date", f"{label} can't be in the past.")
    elif kind == "CHOICE":
        choice = value.get("choice")
        offered = {c["id"]: c for c in definition.get("choices", [])}
        if not isinstance(choice, dict) or choice.get("id") not in offered:
            raise refuse("400-Property-Choice", f"{label}: that choice is not offered.")
        if offered[choice["id"]]["isOther"] and not str(choice.get("otherText") or "").strip():
            raise refuse("400-Property-Other", f"{label}: please describe the other choice.")
