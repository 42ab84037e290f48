"""Tangoe's published MobProc examples (tests/fixtures/mobproc) and a stored request built
from them (and a leaver's request of two such lines), for the unit tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.domain import LineRequest, RequestState
from bot.mobproc.models import (
    ConfirmationResponse,
    OrderRequestEnvelope,
    PropertyDefinition,
    ServiceAsset,
    TransactionType,
)
from bot.offboarding.models import Offboarding, OffboardingState, OffboardingView
from tests.conftest import FIXTURES

EXAMPLES = FIXTURES / "mobproc"


def load(name: str) -> Any:
    """One example, as JSON."""
    return json.loads((EXAMPLES / name).read_text())


SERVICE = ServiceAsset.model_validate(load("service_asset.json"))


def request(state: RequestState = RequestState.PENDING, **changes: Any) -> LineRequest:
    """The published suspension as a stored request (Riley's, id ``req-1``) in ``state``."""
    confirmation = ConfirmationResponse.model_validate(
        load("suspend.confirmation.json")).orderConfirmation
    sent = OrderRequestEnvelope.model_validate(load("suspend.request.json")).orderRequest
    values: dict[str, Any] = dict(
        id="req-1", transaction_type=TransactionType.SUSPEND, state=state,
        requester_id="URequester", requester_name="Riley", service=SERVICE,
        external_order_number="SLACK-1", properties=sent.properties,
        definitions=[PropertyDefinition(id="HOLD_SERVICE", label="Hold Service", type="CHOICE",
                                        choices=[{"id": "peter.edwards.acme",
                                                  "label": "Hold for Peter"}])],
        confirmation=confirmation, created_at=datetime(2026, 11, 23, tzinfo=UTC))
    values.update(changes)
    return LineRequest(**values)


def bundle(state: OffboardingState = OffboardingState.PENDING,
           line_state: RequestState = RequestState.PENDING, **changes: Any) -> OffboardingView:
    """A leaver's request (``off-1``, the agent ``UAGENT``'s) in ``state``, suspending line 1
    and deactivating line 2, its lines' orders in ``line_state``."""
    lines = [request(line_state, id=f"line-{n}", offboarding_id="off-1",
                     transaction_type=kind,
                     service=ServiceAsset(id=str(n), serviceNumber=f"312555010{n}"))
             for n, kind in ((1, TransactionType.SUSPEND), (2, TransactionType.DEACTIVATE))]
    values: dict[str, Any] = dict(id="off-1", state=state, requester_id="UAGENT",
                                  employee_ref="E1", created_at=datetime(2026, 11, 23, tzinfo=UTC))
    values.update(changes)
    return OffboardingView(offboarding=Offboarding(**values), orders=lines)
