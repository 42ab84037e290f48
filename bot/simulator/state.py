"""The simulator's in-memory world: tokens, lines, orders and injected faults."""

from __future__ import annotations

import copy
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.mobproc import assumed
from bot.simulator import seed

# The assumed status flow, one step at a time; none of the four order types ships anything.
PROGRESSION = tuple(s for s in assumed.ORDER_STATUS_FLOW if s != "SHIPPED")


class ApiError(Exception):
    """An answer in MobProc's documented error shape."""

    def __init__(self, status: int, code: str, message: str, *, order: bool = False) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.order = status, code, message, order

    def body(self) -> dict[str, Any]:
        error = {"status": self.status, "id": secrets.token_hex(3), "errorCode": self.code,
                 "message": self.message}
        if self.order:  # a rejected order: "status": "ERROR" with an array of errors
            return {"status": "ERROR", "errors": [error]}
        return error


@dataclass
class Fault:
    method: str
    path: re.Pattern[str]
    status: int | None
    delay: float
    drop_after_processing: bool
    times: int
    hold_after_processing: float = 0  # the work is done; the answer is this late
    retry_after: str | None = None  # sent as Retry-After (with status 429)


@dataclass(frozen=True)
class Received:
    """One API request as the simulator received it: when (monotonic seconds) and what."""

    at: float
    method: str
    path: str
    query: str


@dataclass
class ApprovalDecision:
    action: str  # APPROVE | REJECT
    employee_id: str
    reason: str | None
    at: datetime


@dataclass
class Order:
    order_id: str
    segment_id: str
    request: dict[str, Any]
    service_id: str
    requested_by: dict[str, Any]
    submitted: datetime
    applied: bool = False
    # Employee ids who may approve it in MobProc; empty: no approval step.
    approvers: list[str] = field(default_factory=list)
    decision: ApprovalDecision | None = None


@dataclass
class SimulatorState:
    clock: Any
    step_seconds: float
    token_lifetime: int
    services: dict[str, dict[str, Any]] = field(default_factory=dict)
    employees: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    tokens: dict[str, datetime] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    order_posts: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    # Play a tenant that refuses GET /orders?dateTimeUpdated=… (the follower falls back).
    refuse_updated_filter: bool = False
    in_flight: int = 0
    peak_in_flight: int = 0
    next_order: int = 9000001
    # Transaction types whose orders wait in AWAITING_APPROVAL for seed.ORDER_APPROVERS.
    approval_types: frozenset[str] = frozenset()
    approval_posts: list[dict[str, Any]] = field(default_factory=list)
    approval_lookups: list[str] = field(default_factory=list)  # whose waiting list was read

    @classmethod
    def seeded(cls, clock: Any, step_seconds: float, token_lifetime: int, *,
               bench_people: int = 0,
               approval_types: frozenset[str] = frozenset()) -> SimulatorState:
        state = cls(clock=clock, step_seconds=step_seconds, token_lifetime=token_lifetime,
                    approval_types=approval_types)
        employees, services = seed.EMPLOYEES, seed.SERVICES
        if bench_people:
            employees = [*employees, *seed.bench_employees(bench_people)]
            services = [*services, *seed.bench_services(bench_people)]
        state.employees = {e["id"]: copy.deepcopy(e) for e in employees}
        state.services = {s["id"]: copy.deepcopy(s) for s in services}
        if approval_types:
            state.seed_portal_orders()
        return state

    def seed_portal_orders(self) -> None:
        """A tenant with its own approvals has orders placed in the portal waiting too."""
        for placed in seed.PORTAL_ORDERS:
            order = self.create_order(copy.deepcopy(placed["request"]),
                                      dict(self.employees[placed["requested_by"]]),
                                      needs_approval=True)
            order.submitted -= timedelta(seconds=self.step_seconds)  # already waiting

    # --- tokens ------------------------------------------------------------------

    def grant(self) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.tokens[access] = self.clock() + timedelta(seconds=self.token_lifetime)
        self.refresh_tokens.add(refresh)
        self.token_requests += 1
        return {"token_type": "Bearer", "expires_in": self.token_lifetime,
                "refresh_token": refresh, "access_token": access}

    def token_valid(self, token: str) -> bool:
        expires = self.tokens.get(token)
        return expires is not None and self.clock() < expires

    def revoke_tokens(self) -> None:
        """Every issued access token stops working, as after a MobProc-side revocation."""
        self.tokens.clear()

    # --- faults ------------------------------------------------------------------

    def add_fault(self, method: str, path_regex: str, *, status: int | None = None,
                  delay: float = 0, drop_after_processing: bool = False, times: int = 1,
                  hold_after_processing: float = 0, retry_after: str | None = None) -> None:
        self.faults.append(Fault(method.upper(), re.compile(path_regex), status, delay,
                                 drop_after_processing, times, hold_after_processing,
                                 retry_after))

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.path.search(path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # --- lines ---------------------------------------------------------------------

    def employee_by_context(self, context: str) -> dict[str, Any] | None:
        wanted = context.strip().lower()
        for employee in self.employees.values():
            if wanted in ((employee.get("email") or "").lower(),
                          (employee.get("companyEmployeeId") or "").lower()):
                return employee
        return None

    def service(self, service_id: str) -> dict[str, Any]:
        self.apply_completed()
        service = self.services.get(service_id)
        if service is None:
            raise ApiError(404, "404-Service-Not-Found", f"Service {service_id} was not found.")
        return service

    def find_services(self, number: str | None, employee: str | None,
                      company_employee_id: str | None) -> list[dict[str, Any]]:
        self.apply_completed()
        found = []
        # The tenant's own employee id is often the e-mail address (bot/mobproc/API.md), so
        # the filter takes either, as the context header does.
        leaver = self.employee_by_context(company_employee_id) if company_employee_id else None
        for service in self.services.values():
            if number and service["serviceNumber"] != number:
                continue
            if employee and service["employee"] != employee:
                continue
            if company_employee_id and (leaver is None or service["employee"] != leaver["id"]):
                continue
            found.append(service)
        return found

    # --- orders --------------------------------------------------------------------

    def status_of(self, order: Order) -> tuple[str, list[tuple[str, datetime]]]:
        """The order's status now, and every status it reached with its time."""
        step = timedelta(seconds=self.step_seconds)
        if not order.approvers:
            planned = [(status, order.submitted + n * step)
                       for n, status in enumerate(PROGRESSION)]
        else:
            # Submitted, then waiting for a decision; it goes on from the decision's time.
            planned = [(PROGRESSION[0], order.submitted),
                       (assumed.AWAITING_APPROVAL, order.submitted + step)]
            decision = order.decision
            if decision is not None and decision.action == "REJECT":
                planned.append(("REJECTED", decision.at))
            elif decision is not None:
                planned += [(status, decision.at + n * step)
                            for n, status in enumerate(PROGRESSION[1:])]
        now = self.clock()
        history = [(status, when) for status, when in planned if when <= now] or planned[:1]
        return history[-1][0], history

    def awaiting(self, order: Order) -> bool:
        return self.status_of(order)[0] == assumed.AWAITING_APPROVAL

    def orders_awaiting(self, employee_id: str) -> list[Order]:
        return [o for o in self.orders.values() if employee_id in o.approvers
                and self.awaiting(o)]

    def apply_completed(self) -> None:
        """A completed order changes its line (lazily, on any read)."""
        for order in self.orders.values():
            if order.applied or self.status_of(order)[0] != "COMPLETE":
                continue
            status, actions = seed.AFTER_COMPLETION[order.request["transactionType"]]
            service = self.services[order.service_id]
            service["status"], service["orderActions"] = status, list(actions)
            order.applied = True

    def create_order(self, request: dict[str, Any], requested_by: dict[str, Any], *,
                     needs_approval: bool | None = None) -> Order:
        order_id = str(self.next_order)
        self.next_order += 2
        if needs_approval is None:
            needs_approval = request.get("transactionType") in self.approval_types
        order = Order(order_id=order_id, segment_id=str(int(order_id) + 1), request=request,
                      service_id=request["serviceId"], requested_by=requested_by,
                      submitted=self.clock(),
                      approvers=list(seed.ORDER_APPROVERS) if needs_approval else [])
        self.orders[order_id] = order
        return order

    def orders_by_external(self, external: str | None) -> list[Order]:
        return [o for o in self.orders.values()
                if external is None or o.request.get("externalOrderNumber") == external]

