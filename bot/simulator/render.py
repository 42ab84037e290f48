"""The simulator's answers, in the shapes of Tangoe's published examples."""

from __future__ import annotations

from typing import Any

from bot.simulator import seed
from bot.simulator.state import Order, SimulatorState
from bot.simulator.validation import definitions_for


def _iso(when: Any) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def vendor(key: str, base: str) -> dict[str, Any]:
    v = seed.VENDORS[key]
    return {"_meta": {"href": f"{base}/vendors/{v['id']}"}, "id": v["id"], "name": v["name"]}


def employee(state: SimulatorState, employee_id: str, base: str) -> dict[str, Any]:
    e = {k: v for k, v in state.employees[employee_id].items() if v is not None}
    return {"_meta": {"href": f"{base}/employees/{employee_id}"}, **e}


def service(state: SimulatorState, s: dict[str, Any], base: str) -> dict[str, Any]:
    return {
        "_meta": {"href": f"{base}/assets/services/{s['id']}"},
        "id": s["id"],
        "serviceNumber": s["serviceNumber"],
        "status": s["status"],
        "contractDates": {"start": "2024-02-18T06:00:00+00:00",
                          "end": "2026-12-18T06:00:00+00:00",
                          "activated": "2024-02-15T06:00:00+00:00",
                          "lastDeviceUpgrade": "2025-02-18T06:00:00+00:00"},
        "plan": {"name": s["plan"]},
        "vendor": {"billing": vendor(s["vendor"], base), "current": vendor(s["vendor"], base)},
        "device": s["device"],
        "employee": employee(state, s["employee"], base),
        "orderActions": list(s["orderActions"]),
    }


def _labelled(state: SimulatorState, request: dict[str, Any], s: dict[str, Any]
              ) -> list[dict[str, Any]]:
    labels = {d["id"]: d["label"] for d in definitions_for(state, request["transactionType"], s)}
    return [{"groupId": g.get("groupId", "MISCELLANEOUS"),
             "fields": [{**f, "label": labels.get(f["id"], f["id"])} for f in g["fields"]]}
            for g in request.get("properties") or []]


def confirmation(state: SimulatorState, request: dict[str, Any], s: dict[str, Any],
                 requested_by: dict[str, Any], base: str) -> dict[str, Any]:
    device = s["device"]
    return {"orderConfirmation": {
        "accountHolder": employee(state, s["employee"], base),
        "acknowledgements": request.get("acknowledgements") or [],
        "device": {**{k: v for k, v in device.items() if k != "orderActions"},
                   "model": device["model"]["name"]},
        "externalOrderNumber": request["externalOrderNumber"],
        "properties": _labelled(state, request, s),
        "region": {"_meta": {"href": f"{base}/regions/70144640"}, "id": "70144640",
                   "name": "United States"},
        "requestedBy": requested_by,
        "service": {"_meta": {"href": f"{base}/assets/services/{s['id']}"}, "id": s["id"],
                    "serviceNumber": s["serviceNumber"], "status": s["status"]},
        "transactionType": request["transactionType"],
    }, "status": "SUCCESS"}


def order(state: SimulatorState, o: Order, base: str, *, with_history: bool = False
          ) -> dict[str, Any]:
    s = state.services[o.service_id]
    status, history = state.status_of(o)
    href = f"{base}/orders/{o.order_id}"
    # includeOrderHistory=true: each segment carries its history (the assumed shape).
    extra = {"history": history_items(history)} if with_history else {}
    return {
        "_meta": {"href": href},
        "accountHolder": employee(state, s["employee"], base),
        "dateSubmitted": _iso(o.submitted),
        "externalOrderNumber": o.request["externalOrderNumber"],
        "orderId": o.order_id,
        "orderSegments": {"items": [{
            "_meta": {"hrefHistory": f"{href}/history?orderSegment={o.segment_id}",
                      "hrefShipments": f"{href}/shipments?orderSegment={o.segment_id}"},
            "accessories": [], "features": [], "orderSegmentId": o.segment_id,
            "status": status, "vendor": vendor(s["vendor"], base), **extra}]},
        "properties": _labelled(state, o.request, s),
        "requestedBy": o.requested_by,
        "serviceNumber": s["serviceNumber"],
        "status": status,
        "transactionType": o.request["transactionType"],
        "updated": _iso(history[-1][1]),
        **_approval(state, o, base),
    }


def _approval(state: SimulatorState, o: Order, base: str) -> dict[str, Any]:
    """Who decided, once someone did (the assumed ``approval`` object)."""
    if o.decision is None:
        return {}
    d = o.decision
    return {"approval": {"action": d.action, "decidedBy": employee(state, d.employee_id, base),
                         "reason": d.reason, "date": _iso(d.at)}}


def page(name: str, items: list[dict[str, Any]], href: str, limit: int, offset: int
         ) -> dict[str, Any]:
    meta: dict[str, Any] = {"href": f"{href}&limit={limit}&offset={offset}",
                            "totalCount": len(items), "limit": limit, "offset": offset}
    if offset + limit < len(items):
        meta["hrefNext"] = f"{href}&limit={limit}&offset={offset + limit}"
    return {name: {"_meta": meta, "items": items[offset:offset + limit]}}


def history_items(reached: list[tuple[str, Any]]) -> dict[str, Any]:
    return {"items": [{"status": status, "date": _iso(when), "comment": f"Order {status.lower()}"}
                      for status, when in reached]}
