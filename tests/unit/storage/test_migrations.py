"""Replicas start together on a fresh database (compose.yaml's two do): each migrates it at
start-up, in its own process; one does the work while the others wait for it."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.storage.database import create_engine, migrate
from bot.storage.tables import Base

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
