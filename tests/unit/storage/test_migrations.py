"""Replicas start together on a fresh database (compose.yaml's two do): each migrates it at
start-up, in its own process; one does the work while the others wait for it."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection

from bot.storage.database import MIGRATIONS, create_engine, migrate
from bot.storage.tables import Base, LineRequestRow, OffboardingRow

MIGRATE = """
import asyncio, sys
from bot.storage.database import create_engine, migrate

async def main() -> None:
    engine = create_engine(sys.argv[1])
    await migrate(engine)
    await engine.dispose()

asyncio.run(main())
"""


async def migrate_in_a_process(url: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", MIGRATE, url, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_replicas_migrating_one_fresh_database_at_once_all_start(database_url: str
                                                                        ) -> None:
    results = await asyncio.gather(*(migrate_in_a_process(database_url) for _ in range(4)))
    assert [out for code, out in results if code != 0] == []
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            versions = (await connection.execute(
                text("SELECT version_num FROM alembic_version"))).scalars().all()
    finally:
        await engine.dispose()
    assert len(versions) == 1, "one head, recorded once"


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


async def test_models_and_migrations_agree(database_url: str) -> None:
    """The migrations build exactly the schema the models describe (on PostgreSQL too), so a
    model change without its migration fails here, not in production."""
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert differences == []


def _upgrade_to(revision: str) -> Callable[[Connection], None]:
    def upgrade(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return upgrade


def _line(line_id: str, state: str, offboarding_id: str | None) -> dict[str, Any]:
    return {"id": line_id, "transaction_type": "SUSPEND", "state": state,
            "requester_id": "U1", "service_id": f"s-{line_id}", "service_number": "4155550199",
            "service_json": {}, "form_json": {}, "external_order_number": f"EXT-{line_id}",
            "offboarding_id": offboarding_id}


async def test_a_leavers_waiting_lines_move_from_draft_to_pending(database_url: str) -> None:
    """Rows stored before a leaver's lines waited with their request are migrated: the
    lines of a waiting (or approved, not yet placed) request become PENDING; a request
    still being filled in, and single drafts, keep theirs."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to("steps_workflow_executions"))
            for offboarding_id, state in (("waiting", "pending"), ("approved", "approved"),
                                          ("filling", "details")):
                await connection.execute(insert(OffboardingRow.__table__).values(
                    id=offboarding_id, state=state, requester_id="U1", employee_ref="lena",
                    lines_json=[]))
            await connection.execute(insert(LineRequestRow.__table__), [
                _line("w1", "draft", "waiting"), _line("w2", "draft", "waiting"),
                _line("a1", "draft", "approved"), _line("a2", "submitted", "approved"),
                _line("f1", "draft", "filling"), _line("single", "draft", None)])
        await migrate(engine)
        async with engine.connect() as connection:
            rows = await connection.execute(select(LineRequestRow.id, LineRequestRow.state))
            states = {line_id: state for line_id, state in rows}
    finally:
        await engine.dispose()
    assert states == {"w1": "pending", "w2": "pending", "a1": "pending", "a2": "submitted",
                      "f1": "draft", "single": "draft"}
