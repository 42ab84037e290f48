"""Step runs in the database: each recorded once, linked to the one request filled in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.audit import Audit, insert_audit
from bot.storage.outbox_queue import OutboxMessage, queue_calls
from bot.storage.tables import (
    LineRequestRow,
    OffboardingRow,
    WorkflowExecutionRow,
    utcnow,
)
from bot.storage.transactions import in_transaction, reading
from bot.workflow_steps.steps import StepRun

RUNS: Table = WorkflowExecutionRow.__table__  # type: ignore[assignment]
LINES: Table = LineRequestRow.__table__  # type: ignore[assignment]
OFFBOARDINGS: Table = OffboardingRow.__table__  # type: ignore[assignment]


class StepRuns:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, run: StepRun, calls: list[OutboxMessage]) -> bool:
        """Store the run with ``calls`` (the requester's message, or the step's failure)
        queued in the same transaction; False if it was recorded before (Slack delivering
        the event again, here or on another replica): then nothing is queued."""
        def store(conn: Connection) -> None:
            conn.execute(insert(RUNS), {
                "id": run.id, "callback_id": run.callback_id, "inputs_json": run.inputs,
                "requester_id": run.requester_id, "refusal": run.refusal,
                "created_at": utcnow()})
            insert_audit(conn, None, Audit("slack", "workflow_step", {
                "execution": run.id, "step": run.callback_id, "refusal": run.refusal}))
            queue_calls(conn, run.id, calls)

        try:
            await in_transaction(self._engine, store)
            return True
        except IntegrityError:  # the primary key: this execution is known already
            return False

    async def get(self, execution_id: str) -> StepRun | None:
        row = await reading(self._engine, _first, select(RUNS).where(RUNS.c.id == execution_id))
        return _run(row) if row is not None else None

    async def link_request(self, execution_id: str, request_id: str) -> bool:
        """Make ``request_id`` the run's request, unless it has one: True if it is now."""
        return await in_transaction(self._engine, _link, execution_id, "request_id",
                                    request_id, LINES)

    async def link_offboarding(self, execution_id: str, offboarding_id: str) -> bool:
        return await in_transaction(self._engine, _link, execution_id, "offboarding_id",
                                    offboarding_id, OFFBOARDINGS)

    async def running_bundles(self, states: list[str]) -> list[StepRun]:
        """Runs whose leaver's request is in ``states`` (to check for their completion)."""
        rows = await reading(self._engine, _all, select(RUNS).join(
            OFFBOARDINGS, OFFBOARDINGS.c.id == RUNS.c.offboarding_id).where(
            OFFBOARDINGS.c.state.in_(states)))
        return [_run(r) for r in rows]


def _link(conn: Connection, execution_id: str, column: str, target_id: str,
          table: Table) -> bool:
    # Both in one transaction: the request carries its run from the moment it is the run's,
    # so whatever move ends it renders the step's completion.
    linked = conn.execute(update(RUNS).where(
        RUNS.c.id == execution_id, RUNS.c.request_id.is_(None),
        RUNS.c.offboarding_id.is_(None)).values({column: target_id})).rowcount
    if linked:
        conn.execute(update(table).where(table.c.id == target_id)
                     .values(workflow_execution_id=execution_id))
    return bool(linked)


def _first(conn: Connection, statement: Any) -> Any:
    return conn.execute(statement).first()


def _all(conn: Connection, statement: Any) -> list[Any]:
    return list(conn.execute(statement))


def _run(row: Any) -> StepRun:
    return StepRun(id=row.id, callback_id=row.callback_id, inputs=dict(row.inputs_json or {}),
                   requester_id=row.requester_id, request_id=row.request_id,
                   offboarding_id=row.offboarding_id, refusal=row.refusal)
