"""CPU and wall time per SQLite transaction through SQLAlchemy, with statements run on the
event loop's thread (the driver as it is) or each handed to the connection's thread (as
aiosqlite does), N transactions in flight; prints one table.

On the loop, a transaction is written either with SQLAlchemy's asyncio API (each step, from
taking the connection to giving it back, in a greenlet of its own) or as one function run
whole in one greenlet (``bot.storage.transactions``, as the bot's busiest paths are).

    .venv/bin/python -m bench.sqlite_statements
    .venv/bin/python -m bench.sqlite_statements --transactions 4000 --in-flight 1 8

The database is the bot's own (``create_engine``, migrated), in a temporary directory.
Each transaction is one audit row inserted (a write) or one audit row read by id (a read),
as the bot's paths do. CPU is ``time.process_time`` around the transactions, after a
warm-up, so SQLite's own work on either thread is in it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import sqlite_driver
from bot.storage.database import create_engine, migrate
from bot.storage.tables import AuditEventRow, utcnow
from bot.storage.transactions import in_transaction, reading

AUDIT = AuditEventRow.__table__
BY_ID = select(AUDIT).where(AUDIT.c.id == bindparam("id"))


class HandedOff(sqlite_driver.InlineConnection):
    """Every statement, commit and rollback handed to the connection's thread, which waits
    for a lock there with SQLite's busy timeout (as aiosqlite's connections do)."""

    _waits = False

    async def run(self, fn: Any, *args: Any) -> Any:
        if not self._waits:
            await self._execute(self._conn.execute, f"PRAGMA busy_timeout={self.wait_ms}")
            self._waits = True
        return await self._execute(fn, self._conn, *args)


ONE_GREENLET = "on the loop, one greenlet"


def _audit_row() -> dict[str, Any]:
    return {"at": utcnow(), "request_id": None, "actor": "bench", "event": "bench",
            "detail": None}


def _insert(conn: Connection) -> None:
    conn.execute(insert(AUDIT), _audit_row())


def _select(conn: Connection, n: int) -> None:
    conn.execute(BY_ID, {"id": n % 100 + 1}).first()


def _write(engine: AsyncEngine, mode: str = "") -> Callable[[int], Awaitable[None]]:
    async def write(_: int) -> None:
        if mode == ONE_GREENLET:
            await in_transaction(engine, _insert)
            return
        async with engine.begin() as conn:
            await conn.execute(insert(AUDIT), _audit_row())
    return write


def _read(engine: AsyncEngine, mode: str = "") -> Callable[[int], Awaitable[None]]:
    async def read(n: int) -> None:
        if mode == ONE_GREENLET:
            await reading(engine, _select, n)
            return
        async with engine.connect() as conn:
            (await conn.execute(BY_ID, {"id": n % 100 + 1})).first()
    return read


async def _run(step: Callable[[int], Awaitable[None]], transactions: int,
               in_flight: int) -> None:
    """``transactions`` steps, ``in_flight`` at a time."""
    async def worker(start: int) -> None:
        for n in range(start, transactions, in_flight):
            await step(n)

    await asyncio.gather(*(worker(w) for w in range(in_flight)))


async def _measure(step: Callable[[int], Awaitable[None]], transactions: int,
                   in_flight: int) -> tuple[float, float]:
    """(CPU µs, wall µs) per transaction, after a warm-up of at most 100."""
    await _run(step, min(transactions, 100), in_flight)
    cpu, wall = time.process_time(), time.perf_counter()
    await _run(step, transactions, in_flight)
    return ((time.process_time() - cpu) / transactions * 1e6,
            (time.perf_counter() - wall) / transactions * 1e6)


async def _row(mode: str, kind: str, transactions: int, in_flight: int) -> str:
    original = sqlite_driver.InlineConnection
    if mode == "handed off":
        sqlite_driver.InlineConnection = HandedOff  # type: ignore[misc]
    try:
        with tempfile.TemporaryDirectory(prefix="mobproc-sqlite-bench-") as tmp:
            engine = create_engine(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
            try:
                await migrate(engine)
                await _run(_write(engine), 100, 1)  # rows to read
                step = _write(engine, mode) if kind == "write" else _read(engine, mode)
                cpu, wall = await _measure(step, transactions, in_flight)
            finally:
                await engine.dispose()
    finally:
        sqlite_driver.InlineConnection = original  # type: ignore[misc]
    return f"| {mode} | {kind} | {in_flight} | {cpu:.0f} µs | {wall:.0f} µs |"


async def run(transactions: int, in_flight: list[int]) -> None:
    print("| statements run | transaction | in flight | CPU per transaction | "
          "wall time per transaction |")
    print("|---|---|---|---|---|")
    for kind in ("write", "read"):
        for flight in in_flight:
            for mode in ("on the loop", ONE_GREENLET, "handed off"):
                print(await _row(mode, kind, transactions, flight), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sqlite_statements",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transactions", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, nargs="+", default=[1, 8, 50])
    args = parser.parse_args(argv)
    asyncio.run(run(args.transactions, args.in_flight))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
