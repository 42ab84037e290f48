"""aiosqlite, one trip to its thread per statement.

aiosqlite runs SQLite on a thread of its own and hands every call over to it: creating a
cursor, executing, fetching, closing, and a rollback each time the pool takes a connection
back. Through SQLAlchemy's adapter that is three or four hand-offs per statement, each a
queue put, a thread wake-up and a wake-up of the event loop; under a burst they were the
largest single cost of a flow (bench/burst.py). Here a statement is executed and its rows
fetched in one hand-off, and ending a transaction that was never begun costs none.

Plugged in through SQLAlchemy's documented ``async_creator_fn`` connect argument of the
aiosqlite dialect; everything else (dialect, pool, types, errors) is SQLAlchemy's and
aiosqlite's own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite

_Rows = list[Any]


class _Cursor:
    """What SQLAlchemy's aiosqlite adapter uses of ``aiosqlite.Cursor``, answered from rows
    fetched together with the execution."""

    arraysize = 1

    def __init__(self, connection: OneHopConnection) -> None:
        self._connection = connection
        self._rows: _Rows = []
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def __aenter__(self) -> _Cursor:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        return None

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Cursor:
        self._take(await self._connection.run(_execute, sql, parameters or ()))
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> _Cursor:
        self._take(await self._connection.run(_execute, sql, list(parameters), True))
        return self

    def _take(self, result: tuple[Any, _Rows, int, int | None]) -> None:
        self.description, self._rows, self.rowcount, self.lastrowid = result

    async def fetchall(self) -> _Rows:
        rows, self._rows = self._rows, []
        return rows

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        size = self.arraysize if size is None else size
        rows, self._rows = self._rows[:size], self._rows[size:]
        return rows

    async def close(self) -> None:
        self._rows = []


def _execute(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool = False
             ) -> tuple[Any, _Rows, int, int | None]:
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopConnection(aiosqlite.Connection):
    """``aiosqlite.Connection`` whose cursors execute and fetch in one hand-off, and whose
    commit and rollback do nothing, on the spot, when no transaction is open."""

    async def run(self, fn: Any, *args: Any) -> Any:
        """``fn(sqlite3_connection, *args)`` on the connection's thread."""
        return await self._execute(partial(fn, self._conn), *args)

    def cursor(self) -> _Cursor:  # type: ignore[override]
        return _Cursor(self)

    async def commit(self) -> None:
        # Reading in_transaction from this thread is safe: the connection's thread is idle
        # between the statements SQLAlchemy awaits one after the other.
        if self._conn.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            await super().rollback()


def connect(database: str | bytes, **kwargs: Any) -> OneHopConnection:
    """Like ``aiosqlite.connect``: the connection, to be awaited (which opens it)."""
    location = database.decode() if isinstance(database, bytes) else str(database)
    connection = OneHopConnection(partial(sqlite3.connect, location, **kwargs),
                                  iter_chunk_size=64)
    # As SQLAlchemy does for aiosqlite's own connections: a forgotten one must not keep
    # the process alive at exit.
    connection._thread.daemon = True
    return connection
