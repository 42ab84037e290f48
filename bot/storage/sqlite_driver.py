"""SQLite on the event loop's own thread; waiting for a lock on aiosqlite's.

A statement on a local SQLite file in WAL mode takes tens of microseconds. Handing it to
aiosqlite's thread cost more than running it: a queue put, a thread wake-up, the GIL passed
back and forth, a wake-up of the event loop; about twice the CPU per transaction
(``python -m bench.sqlite_statements`` prints both). So a statement runs where it is
awaited, with SQLite's busy timeout at zero: it never waits there.
Only when the database is locked (another replica writing, or another connection of this
process holding a write transaction open across an await) does it go to the connection's
own thread, to wait for the lock as SQLite's busy timeout would, while the loop goes on.
A statement refused as busy changed nothing, so running it again there is safe. What the
loop does wait for: SQLite's own work, including the commit that checkpoints the WAL every
1000 pages.

Plugged in through SQLAlchemy's documented ``async_creator_fn`` connect argument of the
aiosqlite dialect; everything else (dialect, pool, types, errors) is SQLAlchemy's and
aiosqlite's own.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

import aiosqlite
from aiosqlite.core import (
    _STOP_RUNNING_SENTINEL,  # what ends aiosqlite's thread loop
    set_exception,
    set_result,
)

_Rows = list[Any]


class _Cursor:
    """What SQLAlchemy's aiosqlite adapter uses of ``aiosqlite.Cursor``, answered from rows
    fetched together with the execution."""

    arraysize = 1

    def __init__(self, connection: InlineConnection) -> None:
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


def _busy(error: sqlite3.OperationalError) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


def _waiting(wait_ms: int, fn: Any, connection: sqlite3.Connection, *args: Any) -> Any:
    """``fn`` with SQLite's busy timeout on, for the connection's thread; off again after."""
    connection.execute(f"PRAGMA busy_timeout={wait_ms}")
    try:
        return fn(connection, *args)
    finally:
        connection.execute("PRAGMA busy_timeout=0")


def _answered(future: asyncio.Future[Any], function: Any) -> None:
    """``function()`` on the connection's thread, its outcome passed to ``future``'s loop,
    or dropped if that loop has closed (see ``InlineConnection._execute``)."""
    try:
        outcome, deliver = function(), set_result
    except BaseException as error:  # as aiosqlite's thread: everything goes back
        outcome, deliver = error, set_exception
    try:
        future.get_loop().call_soon_threadsafe(deliver, future, outcome)
    except RuntimeError:  # that loop is closed: nobody is left waiting
        pass


class InlineConnection(aiosqlite.Connection):
    """``aiosqlite.Connection`` whose statements, commits and rollbacks run on the calling
    thread, fetching a statement's rows with it, and go to its own thread only to wait for
    a lock. Commit and rollback do nothing when no transaction is open."""

    wait_ms = 5000

    async def run(self, fn: Any, *args: Any) -> Any:
        """``fn(sqlite3_connection, *args)``, waiting for a lock off the event loop."""
        if not self._running:
            raise ValueError("Connection closed")
        connection = self._conn
        try:
            return fn(connection, *args)
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise
        return await self._execute(_waiting, self.wait_ms, fn, connection, *args)

    # aiosqlite's thread hands every answer back with ``call_soon_threadsafe``, which raises
    # in the thread, and ends it, when the loop that asked has closed meanwhile. Every trip
    # to the thread goes through ``_answered`` instead.

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return await self._hand_off(partial(fn, *args, **kwargs))

    async def _hand_off(self, function: Any) -> Any:
        future = asyncio.get_running_loop().create_future()
        self._tx.put_nowait((None, partial(_answered, future, function)))
        return await future

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            try:
                self._connection = await self._hand_off(self._connector)
            except BaseException:
                self.stop()
                self._connection = None
                raise
        return self

    def stop(self) -> asyncio.Future[Any] | None:
        """Close and end the thread. Also what aiosqlite's ``__del__`` calls on a connection
        collected unclosed, perhaps after its loop closed: then nobody is answered."""
        self._running = False
        try:
            future: asyncio.Future[Any] | None = asyncio.get_running_loop().create_future()
        except RuntimeError:  # collected outside a running loop
            future = None

        def close_and_stop() -> object:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            if future is not None:
                _answered(future, lambda: None)
            return _STOP_RUNNING_SENTINEL

        self._tx.put_nowait((None, close_and_stop))
        return future

    def cursor(self) -> _Cursor:  # type: ignore[override]
        return _Cursor(self)

    async def commit(self) -> None:
        if self._conn.in_transaction:
            await self.run(sqlite3.Connection.commit)

    async def rollback(self) -> None:
        if self._conn.in_transaction:
            await self.run(sqlite3.Connection.rollback)


def connect(database: str | bytes, *, timeout: float = 5.0, **kwargs: Any
            ) -> InlineConnection:
    """Like ``aiosqlite.connect``: the connection, to be awaited (which opens it).
    ``timeout``: how long a statement waits for another writer's lock, as sqlite3's."""
    location = database.decode() if isinstance(database, bytes) else str(database)
    # Busy timeout zero on the loop's thread; the wait happens in InlineConnection.run.
    # check_same_thread off: opened on the connection's thread, used on the loop's, one
    # statement at a time (SQLAlchemy awaits each before the next).
    kwargs.update(timeout=0, check_same_thread=False)
    connection = InlineConnection(partial(sqlite3.connect, location, **kwargs),
                                  iter_chunk_size=64)
    connection.wait_ms = int(timeout * 1000)
    # As SQLAlchemy does for aiosqlite's own connections: a forgotten one must not keep
    # the process alive at exit.
    connection._thread.daemon = True
    return connection
