"""The simulator's aiohttp application: MobProc's routes under /mobproc/v1, OAuth token URL."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.mobproc import assumed
from bot.simulator import render, seed
from bot.simulator.state import ApiError, ApprovalDecision, Received, SimulatorState
from bot.simulator.validation import definitions_for, validate_order

API_PREFIX = "/mobproc/v1"
TOKEN_PATH = "/oauth2/token"
STATE = web.AppKey("state", SimulatorState)
CONFIG = web.AppKey("config", object)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _error(exc: ApiError) -> web.Response:
    return web.json_response(exc.body(), status=exc.status)


def _base(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}{API_PREFIX}"


def _int(request: web.Request, name: str, default: int) -> int:
    try:
        return max(int(request.query.get(name, default)), 0)
    except ValueError:
        raise ApiError(400, f"400-{name}", f"{name} must be a whole number.") from None


@web.middleware
async def mobproc_rules(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Injected faults first, then the checks the real API makes on every call."""
    state = request.app[STATE]
    state.received.append(Received(time.monotonic(), request.method, request.path,
                                   request.query_string))
    state.in_flight += 1
    state.peak_in_flight = max(state.peak_in_flight, state.in_flight)
    try:
        return await _answer(request, handler, state)
    finally:
        state.in_flight -= 1


async def _answer(request: web.Request, handler: Handler, state: SimulatorState
                  ) -> web.StreamResponse:
    config: Any = request.app[CONFIG]
    if config.latency_seconds:
        await asyncio.sleep(config.latency_seconds)
    fault = state.take_fault(request.method, request.path)
    if fault is not None and fault.delay:
        await asyncio.sleep(fault.delay)
    if fault is not None and fault.status:
        failed = _error(ApiError(fault.status, f"{fault.status}-Injected",
                                 "The simulator was told to fail this call."))
        if fault.retry_after is not None:
            failed.headers["Retry-After"] = fault.retry_after
        return failed
    try:
        if request.path.startswith(API_PREFIX):
            _authorize(request, state, config)
        response = await handler(request)
    except ApiError as exc:
        response = _error(exc)
    if fault is not None and fault.hold_after_processing:
        await asyncio.sleep(fault.hold_after_processing)
    if fault is not None and fault.drop_after_processing and request.transport is not None:
        # The work is done but the answer never arrives: "order placed, answer lost".
        request.transport.close()
    return response


def _authorize(request: web.Request, state: SimulatorState, config: Any) -> None:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or not state.token_valid(auth[7:]):
        raise ApiError(401, "401-Unauthorized", "The access token is missing, invalid or expired.")
    if request.headers.get("client_id") != config.client_id:
        raise ApiError(401, "401-Client-Id", "The client_id header is missing or wrong.")
    if request.headers.get("X-TNGO-TENANT") != config.tenant:
        raise ApiError(403, "403-Tenant", "The X-TNGO-TENANT header is missing or not a tenant "
                                          "this client may use.")


def _requested_by(request: web.Request, state: SimulatorState) -> dict[str, Any]:
    context = request.headers.get("X-TNGO-CONTEXT-COMPANYEMPLOYEEID")
    if not context:
        return dict(seed.SERVICE_ACCOUNT)
    employee = state.employee_by_context(context)
    if employee is None:
        raise ApiError(403, "403-Context", f"The service account may not act for {context}.",
                       order=True)
    return {k: v for k, v in employee.items() if v is not None}


async def token(request: web.Request) -> web.Response:
    state = request.app[STATE]
    config: Any = request.app[CONFIG]
    form = await request.post()
    if form.get("client_id") != config.client_id or form.get(
            "client_secret") != config.client_secret or form.get("scope") != config.scope:
        return web.json_response({"error": "invalid_client"}, status=401)
    grant = form.get("grant_type")
    if grant == "password":
        if form.get("username") != config.username or form.get("password") != config.password:
            return web.json_response({"error": "invalid_grant"}, status=401)
    elif grant == "refresh_token":
        refresh = str(form.get("refresh_token") or "")
        if refresh not in state.refresh_tokens:
            return web.json_response({"error": "invalid_grant"}, status=401)
        state.refresh_tokens.discard(refresh)
    else:
        return web.json_response({"error": "unsupported_grant_type"}, status=400)
    return web.json_response(state.grant())


async def get_service(request: web.Request) -> web.Response:
    state = request.app[STATE]
    return web.json_response(render.service(state, state.service(request.match_info["id"]),
                                            _base(request)))


async def list_services(request: web.Request) -> web.Response:
    state = request.app[STATE]
    q = request.query
    found = state.find_services(q.get("serviceNumber"), q.get("employee"),
                                q.get("companyEmployeeId"))
    items = [render.service(state, s, _base(request)) for s in found]
    filters = "&".join(f"{k}={v}" for k, v in q.items() if k not in ("limit", "offset"))
    href = f"{_base(request)}/assets/services?{filters}"
    return web.json_response(render.page("services", items, href, _int(request, "limit", 25),
                                         _int(request, "offset", 0)))


async def properties(request: web.Request) -> web.Response:
    state = request.app[STATE]
    transaction_type = request.query.get("transactionType", "")
    service_id, vendor_id = request.query.get("service"), request.query.get("vendor")
    if not service_id and not vendor_id:
        raise ApiError(400, "400-Region_id-Account-Id-error",
                       "Region ID or Service ID must be passed in.")
    if service_id:
        fields = definitions_for(state, transaction_type, state.service(service_id))
    else:
        fields = seed.property_definitions(transaction_type, "", None)
        fields = [{k: v for k, v in f.items() if k != "text"} for f in fields]
    href = f"{_base(request)}/orders/properties?{request.query_string}"
    return web.json_response({"properties": {"_meta": {"href": href}, "items": [
        {"groupId": "MISCELLANEOUS", "fields": fields}]}})


async def acknowledgements(request: web.Request) -> web.Response:
    if request.query.get("transactionType") == "XFER_SERVICE_OUT":
        return web.json_response({"infoblocks": seed.INFOBLOCKS,
                                  "acknowledgements": seed.ACKNOWLEDGEMENTS})
    return web.json_response({"infoblocks": [], "acknowledgements": []})


async def post_order(request: web.Request) -> web.Response:
    state = request.app[STATE]
    confirm = request.query.get("confirm", "false").lower() == "true"
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    state.order_posts.append({
        "confirm": confirm, "body": body,
        "context": request.headers.get("X-TNGO-CONTEXT-COMPANYEMPLOYEEID")})
    requested_by = _requested_by(request, state)
    order_request, service = validate_order(state, body)
    if confirm:
        return web.json_response(render.confirmation(state, order_request, service,
                                                     requested_by, _base(request)))
    order = state.create_order(order_request, requested_by)
    return web.json_response({"order": render.order(state, order, _base(request)),
                              "status": "SUCCESS"})


async def list_orders(request: web.Request) -> web.Response:
    state = request.app[STATE]
    external = request.query.get("externalOrderNumber")
    found = state.orders_by_external(external)
    approver = request.query.get(assumed.ELIGIBLE_APPROVER_FILTER)
    if approver is not None:
        state.approval_lookups.append(approver)
        employee = state.employee_by_context(approver)
        waiting = state.orders_awaiting(employee["id"]) if employee else []
        found = [o for o in found if o in waiting]
    since = request.query.get(assumed.UPDATED_SINCE_FILTER)
    if since is not None:
        found = _updated_since(state, found, since)
    with_history = request.query.get("includeOrderHistory") == "true"
    items = [render.order(state, o, _base(request), with_history=with_history) for o in found]
    filters = "&".join(f"{k}={v}" for k, v in request.query.items()
                       if k not in ("limit", "offset"))
    return web.json_response(render.page("orders", items, f"{_base(request)}/orders?{filters}",
                                         _int(request, "limit", 25), _int(request, "offset", 0)))


def _updated_since(state: SimulatorState, orders: list[Any], since: str) -> list[Any]:
    """Orders updated at or after ``since`` (to the second, as ``updated`` is written),
    oldest change first; refused when the simulator plays a tenant without the filter."""
    if state.refuse_updated_filter:
        raise ApiError(400, "400-Unsupported-Filter",
                       f"{assumed.UPDATED_SINCE_FILTER} is not supported for this tenant.")
    try:
        threshold = datetime.fromisoformat(since.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "400-dateTimeUpdated",
                       f"{assumed.UPDATED_SINCE_FILTER} must be an ISO 8601 date-time.") from None
    state.apply_completed()
    updated = {o.order_id: state.status_of(o)[1][-1][1].replace(microsecond=0) for o in orders}
    return sorted((o for o in orders if updated[o.order_id] >= threshold),
                  key=lambda o: updated[o.order_id])


def _order(request: web.Request) -> Any:
    order = request.app[STATE].orders.get(request.match_info["id"])
    if order is None:
        raise ApiError(404, "404-Order-Not-Found",
                       f"Order {request.match_info['id']} was not found.")
    return order


async def get_order(request: web.Request) -> web.Response:
    state = request.app[STATE]
    state.apply_completed()
    return web.json_response({"order": render.order(state, _order(request), _base(request)),
                              "status": "SUCCESS"})


async def history(request: web.Request) -> web.Response:
    state = request.app[STATE]
    order = _order(request)
    if request.query.get("orderSegment") not in (None, order.segment_id):
        raise ApiError(404, "404-Segment-Not-Found", "No such order segment.")
    _, reached = state.status_of(order)
    return web.json_response({"history": render.history_items(reached)})


async def approval(request: web.Request) -> web.Response:
    """Answers as MobProc's approval workflow would: for the person in the context header."""
    state = request.app[STATE]
    order = _order(request)
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    state.approval_posts.append({"orderId": order.order_id, "body": body,
                                 "context": request.headers.get(
                                     "X-TNGO-CONTEXT-COMPANYEMPLOYEEID")})
    if not isinstance(body, dict) or body.get("action") not in ("APPROVE", "REJECT"):
        raise ApiError(400, "400-Approval-Action", "action must be APPROVE or REJECT.")
    reason = body.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ApiError(400, "400-Approval-Reason", "reason must be text.")
    if body["action"] == "REJECT" and not (reason or "").strip():
        raise ApiError(400, "400-Approval-Reason", "A reason is required to reject an order.")
    if len(reason or "") > assumed.APPROVAL_REASON_MAX_LENGTH:
        raise ApiError(400, "400-Approval-Reason", "reason must be at most "
                       f"{assumed.APPROVAL_REASON_MAX_LENGTH} characters.")
    if not order.approvers or order.decision is not None:
        return web.json_response({"status": "APPROVAL_NOT_NEEDED"})
    context = request.headers.get("X-TNGO-CONTEXT-COMPANYEMPLOYEEID") or ""
    employee = state.employee_by_context(context)
    if employee is None or employee["id"] not in order.approvers:
        raise ApiError(403, "403-Not-Eligible-Approver",
                       f"{context or 'This caller'} is not eligible to approve order "
                       f"{order.order_id}.")
    if not state.awaiting(order):
        return web.json_response({"status": "NOT_READY_FOR_APPROVAL"})
    order.decision = ApprovalDecision(body["action"], employee["id"], reason, state.clock())
    queued = "APPROVAL_QUEUED" if body["action"] == "APPROVE" else "REJECTION_QUEUED"
    return web.json_response({"status": queued})


async def not_found(request: web.Request) -> web.Response:
    raise ApiError(404, "404-Not-Found", f"No route {request.method} {request.path}.")


def create_app(state: SimulatorState, config: Any) -> web.Application:
    app = web.Application(middlewares=[mobproc_rules])
    app[STATE] = state
    app[CONFIG] = config
    p = API_PREFIX
    app.router.add_post(TOKEN_PATH, token)
    app.router.add_get(f"{p}/assets/services", list_services)
    app.router.add_get(f"{p}/assets/services/{{id}}", get_service)
    app.router.add_get(f"{p}/orders/properties", properties)
    app.router.add_get(f"{p}/acknowledgements", acknowledgements)
    app.router.add_post(f"{p}/orders", post_order)
    app.router.add_get(f"{p}/orders", list_orders)
    app.router.add_get(f"{p}/orders/{{id}}", get_order)
    app.router.add_get(f"{p}/orders/{{id}}/history", history)
    app.router.add_post(f"{p}/orders/{{id}}/approval", approval)
    app.router.add_route("*", "/{tail:.*}", not_found)
    return app
