"""The SQLite connection: one hand-off to aiosqlite's thread per statement, same results."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import sqlite_driver
from bot.storage.database import create_engine

metadata = MetaData()
things = Table("things", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
               Column("name", String, unique=True, nullable=False))


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every function sent to a connection's thread, by name."""
    sent: list[str] = []
    real = sqlite_driver.OneHopConnection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(getattr(fn, "func", fn), "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(sqlite_driver.OneHopConnection, "_execute", counted)
    return sent


async def test_a_read_is_one_hand_off(engine: AsyncEngine, hand_offs: list[str]) -> None:
    async with engine.begin() as connection:  # opens the pooled connection
        await connection.execute(insert(things), [{"name": "a"}, {"name": "b"}])
    hand_offs.clear()
    async with engine.connect() as connection:
        rows = (await connection.execute(select(things.c.name).order_by(things.c.id))).all()
    assert [r.name for r in rows] == ["a", "b"]
    # The statement and its rows together; no rollback for a transaction never begun.
    assert hand_offs == ["_execute"], hand_offs


async def test_a_write_is_one_hand_off_and_a_commit(engine: AsyncEngine,
                                                    hand_offs: list[str]) -> None:
    async with engine.connect():
        pass  # open the pooled connection first
    hand_offs.clear()
    async with engine.begin() as connection:
        new_id = (await connection.execute(insert(things).values(name="c")
                                           .returning(things.c.id))).scalar_one()
    assert hand_offs == ["_execute", "commit"], hand_offs
    async with engine.connect() as connection:
        assert (await connection.execute(select(things.c.name)
                                         .where(things.c.id == new_id))).scalar_one() == "c"


async def test_row_counts_ids_errors_and_rollback_are_sqlite_s(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        first = await connection.execute(insert(things).values(name="x"))
        assert first.inserted_primary_key is not None and first.inserted_primary_key[0] >= 1
        await connection.execute(insert(things), [{"name": "y"}, {"name": "z"}])
        changed = await connection.execute(update(things).where(things.c.name != "x")
                                           .values(name=things.c.name + "!"))
        assert changed.rowcount == 2
    with pytest.raises(IntegrityError):
        async with engine.begin() as connection:
            await connection.execute(insert(things).values(name="w"))
            await connection.execute(insert(things).values(name="x"))  # not unique
    async with engine.connect() as connection:
        names = (await connection.execute(select(things.c.name)
                                          .order_by(things.c.name))).scalars().all()
    assert names == ["x", "y!", "z!"]  # "w" went with the failed transaction


async def test_connections_use_wal_with_a_busy_timeout_and_no_sync_per_commit(
        engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        def pragma(name: str) -> Any:
            return connection.exec_driver_sql(f"PRAGMA {name}")

        assert (await pragma("journal_mode")).scalar() == "wal"
        assert (await pragma("synchronous")).scalar() == 1  # NORMAL
        assert (await pragma("busy_timeout")).scalar() >= 1000
