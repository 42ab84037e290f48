"""The SQLite connection: statements on the event loop, a lock waited for off it, same
results as SQLite's."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage import sqlite_driver
from bot.storage.database import create_engine
from bot.storage.transactions import in_transaction, reading

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
    real = sqlite_driver.InlineConnection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(getattr(fn, "func", fn), "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(sqlite_driver.InlineConnection, "_execute", counted)
    return sent


async def test_reads_writes_and_commits_run_on_the_loop_with_no_hand_off(
        engine: AsyncEngine, hand_offs: list[str]) -> None:
    async with engine.connect():
        pass  # open the pooled connection first (that is a hand-off: the thread opens it)
    hand_offs.clear()
    async with engine.begin() as connection:
        new_id = (await connection.execute(insert(things).values(name="c")
                                           .returning(things.c.id))).scalar_one()
    async with engine.connect() as connection:
        assert (await connection.execute(select(things.c.name)
                                         .where(things.c.id == new_id))).scalar_one() == "c"
    assert hand_offs == [], hand_offs


@pytest.fixture
def other_writer(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """Another process's connection to the same file (as a replica's would be)."""
    connection = sqlite3.connect(tmp_path / "driver.db", isolation_level=None,
                                 check_same_thread=False)
    yield connection
    connection.close()


def _insert_ours(connection: Connection) -> None:
    connection.execute(insert(things).values(name="ours"))


@pytest.mark.parametrize("whole", [False, True], ids=["asyncio API", "one greenlet"])
async def test_a_write_waits_for_another_writers_lock_without_holding_up_the_loop(
        engine: AsyncEngine, other_writer: sqlite3.Connection, hand_offs: list[str],
        whole: bool) -> None:
    """Written with SQLAlchemy's asyncio API, or as one function run whole in a greenlet
    (``bot.storage.transactions``): either way the wait leaves the loop free."""
    async with engine.connect():
        pass
    other_writer.execute("BEGIN IMMEDIATE")  # holds the write lock
    other_writer.execute("INSERT INTO things (name) VALUES ('theirs')")

    async def write() -> None:
        if whole:
            await in_transaction(engine, _insert_ours)
            return
        async with engine.begin() as connection:
            await connection.execute(insert(things).values(name="ours"))

    writing = asyncio.create_task(write())
    ticks = 0
    while ticks < 20:  # the loop goes on while the write waits
        await asyncio.sleep(0.01)
        ticks += 1
    assert not writing.done()
    other_writer.execute("COMMIT")
    await asyncio.wait_for(writing, 10)
    async with engine.connect() as connection:
        names = (await connection.execute(select(things.c.name)
                                          .order_by(things.c.id))).scalars().all()
    assert names == ["theirs", "ours"]
    assert hand_offs == ["_waiting"], hand_offs  # only the locked statement went to wait


async def test_a_lock_held_past_the_timeout_fails_as_sqlite_would(
        tmp_path: Path, engine: AsyncEngine, other_writer: sqlite3.Connection) -> None:
    impatient = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}",
                                    connect_args={"timeout": 0.2,
                                                  "async_creator_fn": sqlite_driver.connect})
    try:
        other_writer.execute("BEGIN IMMEDIATE")
        with pytest.raises(OperationalError, match="database is locked"):
            async with impatient.begin() as connection:
                await connection.execute(insert(things).values(name="late"))
        other_writer.execute("ROLLBACK")
        async with impatient.begin() as connection:  # the connection is fine afterwards
            await connection.execute(insert(things).values(name="then"))
        async with engine.connect() as connection:
            assert (await connection.execute(select(things.c.name))).scalars().all() == ["then"]
    finally:
        await impatient.dispose()


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


async def test_connections_use_wal_and_no_sync_per_commit(
        engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        def pragma(name: str) -> Any:
            return connection.exec_driver_sql(f"PRAGMA {name}")

        assert (await pragma("journal_mode")).scalar() == "wal"
        assert (await pragma("synchronous")).scalar() == 1  # NORMAL
        # Nothing waits on the event loop's thread: waiting for a lock is the driver's,
        # on the connection's own (test above).
        assert (await pragma("busy_timeout")).scalar() == 0


async def test_one_transaction_after_another_takes_the_connection_just_returned(
        engine: AsyncEngine) -> None:
    """SQLite empties a connection's page cache whenever another connection wrote since it
    last read. Taking the connection returned last (not the one idle longest) keeps one
    connection, and its cache, for transactions that follow each other."""
    async def dbapi_connection(connection: Any) -> Any:
        return (await connection.get_raw_connection()).driver_connection

    # A moment when three transactions were open at once leaves three connections pooled.
    held = [await engine.connect() for _ in range(3)]
    for connection in held:
        await connection.execute(select(things))
    for connection in held:
        await connection.close()
    used = []
    for n in range(6):
        async with engine.begin() as connection:
            await connection.execute(insert(things).values(name=f"thing {n}"))
            used.append(await dbapi_connection(connection))
    assert all(c is used[0] for c in used), [id(c) for c in used]


async def test_a_transaction_run_whole_commits_what_returns_and_keeps_nothing_that_raises(
        engine: AsyncEngine) -> None:
    def two(connection: Connection, first: str, second: str) -> int:
        connection.execute(insert(things).values(name=first))
        return int(connection.execute(insert(things).values(name=second)).rowcount)

    assert await in_transaction(engine, two, "a", "b") == 1
    with pytest.raises(IntegrityError):
        await in_transaction(engine, two, "c", "a")  # "a" is taken: "c" goes too

    def names(connection: Connection) -> list[str]:
        return list(connection.execute(select(things.c.name).order_by(things.c.id)).scalars())

    assert await reading(engine, names) == ["a", "b"]


def test_a_lock_wait_that_outlives_its_event_loop_ends_quietly(
        tmp_path: Path, other_writer: sqlite3.Connection, hand_offs: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A test or a process can end while a statement waits for a lock on the connection's
    thread. When the wait ends there is no loop to answer; the thread must neither raise
    (aiosqlite's own answer raises "Event loop is closed" there) nor stop serving."""
    crashes: list[Any] = []
    monkeypatch.setattr("threading.excepthook", crashes.append)
    other_writer.execute("CREATE TABLE things (name TEXT)")
    loop = asyncio.new_event_loop()
    try:
        connection = loop.run_until_complete(sqlite_driver.connect(tmp_path / "driver.db"))
        other_writer.execute("BEGIN IMMEDIATE")
        waiting = loop.create_task(connection.run(
            sqlite_driver._execute, "INSERT INTO things VALUES ('late')", ()))
        while not hand_offs:  # until the statement is on the thread, waiting for the lock
            loop.run_until_complete(asyncio.sleep(0))
        waiting.cancel()
        loop.run_until_complete(asyncio.gather(waiting, return_exceptions=True))
    finally:
        loop.close()
    other_writer.execute("COMMIT")  # the wait ends, with its loop gone
    served = threading.Event()
    connection._tx.put_nowait((None, served.set))  # behind it on the thread's queue
    assert served.wait(10), "the connection's thread stopped"
    assert crashes == []
    connection.stop()
    connection._thread.join(10)


def test_a_connection_collected_unclosed_after_its_loop_closed_stops_quietly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """aiosqlite stops a connection's thread when it is collected unclosed, handing the
    answer to the thread's current loop, which may be closed by then (as pytest-asyncio
    leaves it): the thread must stop without raising."""
    crashes: list[Any] = []
    monkeypatch.setattr("threading.excepthook", crashes.append)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        connection = loop.run_until_complete(sqlite_driver.connect(tmp_path / "left.db"))
        thread = connection._thread
        loop.close()
        with pytest.warns(ResourceWarning, match="deleted before being closed"):
            del connection
            gc.collect()
        thread.join(10)
    finally:
        asyncio.set_event_loop(None)
    assert not thread.is_alive()
    assert crashes == []
