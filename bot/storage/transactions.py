"""A transaction run whole in one of SQLAlchemy's greenlets.

SQLAlchemy's asyncio API runs each step of a transaction (taking a connection, every
statement, the commit, giving the connection back) in a greenlet of its own, and each costs
more than SQLite's own work on a short statement. Here the steps are written as one plain
function on a synchronous ``Connection``, and the whole of it runs in one greenlet: the
bridge ``AsyncConnection.run_sync`` is built on, spanning the transaction. The driver is
still the async one, so a statement that must wait (PostgreSQL's network, another SQLite
writer's lock) still waits without holding up the event loop.
``python -m bench.sqlite_statements`` prints both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

P = ParamSpec("P")
T = TypeVar("T")


async def in_transaction(engine: AsyncEngine, fn: Callable[Concatenate[Connection, P], T],
                         *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(connection, …)`` in one transaction: committed if it returns, rolled back if it
    raises."""
    return await greenlet_spawn(_begin, engine.sync_engine, fn, *args, **kwargs)


async def reading(engine: AsyncEngine, fn: Callable[Concatenate[Connection, P], T],
                  *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(connection, …)`` for reads: nothing is committed."""
    return await greenlet_spawn(_connect, engine.sync_engine, fn, *args, **kwargs)


def _begin(engine: Engine, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with engine.begin() as connection:
        return fn(connection, *args, **kwargs)


def _connect(engine: Engine, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    with engine.connect() as connection:
        return fn(connection, *args, **kwargs)
