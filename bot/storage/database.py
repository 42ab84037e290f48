"""Engine, sessions and migrations (Alembic, run at start-up)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from bot.storage import sqlite_driver

MIGRATIONS = Path(__file__).parent / "migrations"


# How long a SQLite writer waits for another (process or connection) to finish.
SQLITE_BUSY_TIMEOUT_SECONDS = 30
SQLITE_POOL_SIZE = 20


def create_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # Wait for a lock instead of failing when two processes share one file.
        # A pool as wide as a burst keeps: past SQLAlchemy's default 5, every connection
        # returned was closed and the next one opened again (a thread, a file, pragmas).
        # Last returned, first taken (LIFO): SQLite empties a connection's page cache when
        # another connection wrote since, so rotating through the pool (FIFO, the default)
        # read every page of every transaction again from the file.
        # sqlite_driver: statements run on the loop's thread; a lock is waited for (up to
        # the timeout) on the connection's own.
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                        "async_creator_fn": sqlite_driver.connect},
                                     pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_SIZE,
                                     pool_use_lifo=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # Readers never wait for the writer, and a commit appends to the log instead of
            # rewriting pages. (No busy timeout here: the driver waits for a lock itself,
            # off the event loop.)
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode, SQLite's recommended setting: a commit survives the process
            # crashing; only a power loss can undo the last few, and every step here is
            # found again after that (orders by externalOrderNumber, approval messages by
            # their metadata). It spares a disk sync per commit.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_async_engine(url, pool_pre_ping=True)


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


def _upgrade(connection: Connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


# Any fixed number: the PostgreSQL advisory lock every replica's migration takes.
_MIGRATION_LOCK = 0x6D6F6270  # "mobp"


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision. Replicas starting together each call this:
    the first to lock the database migrates it, the others wait and then find it done."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends; PostgreSQL's DDL is transactional.
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                     {"key": _MIGRATION_LOCK})
        elif connection.dialect.name == "sqlite":
            # The write lock up front (waiting up to the connect timeout for another
            # replica's), and it makes the DDL below one transaction: the driver would
            # otherwise run each statement on its own.
            await connection.exec_driver_sql("BEGIN IMMEDIATE")
        await connection.run_sync(_upgrade)
