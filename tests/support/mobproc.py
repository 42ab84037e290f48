"""Talking to the MobProc simulator straight, as the client and simulator tests do: the
client's settings for a simulator and an order body the simulator accepts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from bot.mobproc.client import MobProcConfig
from bot.simulator.server import RunningSimulator


def config_for(sim: RunningSimulator, **overrides: object) -> MobProcConfig:
    c = sim.config
    values: dict[str, object] = dict(
        base_url=sim.base_url, token_url=sim.token_url, client_id=c.client_id,
        client_secret=SecretStr(c.client_secret), username=c.username,
        password=SecretStr(c.password), tenant=c.tenant, scope=c.scope, timeout_seconds=2.0)
    values.update(overrides)
    return MobProcConfig(**values)  # type: ignore[arg-type]


def tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00+00:00")


def order(service_id: str = "38382335", tt: str = "SUSPEND", **fields: Any) -> dict[str, Any]:
    """A suspension of line 38382335 as the simulator's seed accepts it; ``fields``
    replace (or, with None, drop) its properties."""
    values: dict[str, Any] = {
        "SERVICE_NUMBER": {"type": "TEXT", "text": "4155550199"},
        "CONTACT_NUMBER": {"type": "TEXT", "text": "2035559999"},
        "PREFERRED_SUSPENSION_DATE": {"type": "DATE", "date": tomorrow()},
        "HOLD_SERVICE": {"type": "CHOICE", "choice": {"id": "1"}},
        "Reason": {"type": "CHOICE", "choice": {"id": "1"}},
    }
    values.update(fields)
    return {"orderRequest": {
        "externalOrderNumber": "SIM-1", "transactionType": tt, "serviceId": service_id,
        "properties": [{"groupId": "MISCELLANEOUS", "fields": [
            {"id": k, **v} for k, v in values.items() if v is not None]}]}}
