"""Running one Core statement on a connection: the small pieces every store's transactions use."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql import Executable


def all_rows(conn: Connection, statement: Executable) -> list[Row[Any]]:
    return list(conn.execute(statement))


def first_row(conn: Connection, statement: Executable,
               parameters: dict[str, Any]) -> Row[Any] | None:
    return conn.execute(statement, parameters).first()


def changes_rows(conn: Connection, statement: Executable,
                  parameters: dict[str, Any] | None) -> bool:
    return bool(conn.execute(statement, parameters).rowcount)
