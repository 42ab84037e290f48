"""Who has opened the bot's App Home, and when first: the people whose Home is worth
publishing (Slack shows a Home only to someone who opens it, and publishing costs a call)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.storage.database import sessionmaker
from bot.storage.tables import HomeVisitorRow, utcnow


class HomeVisitors:
    def __init__(self, engine: AsyncEngine) -> None:
        self._sessions: async_sessionmaker[Any] = sessionmaker(engine)
        # Once recorded, a visitor stays one: remembering them spares a query per open.
        self._known: set[str] = set()

    async def record(self, user_id: str, at: datetime | None = None) -> bool:
        """Note that ``user_id`` opened their Home; True only the first time ever (across
        processes: the primary key decides)."""
        if user_id in self._known:
            return False
        try:
            async with self._sessions.begin() as session:
                if await session.get(HomeVisitorRow, user_id) is not None:
                    first = False
                else:
                    session.add(HomeVisitorRow(user_id=user_id, first_opened_at=at or utcnow()))
                    first = True
        except IntegrityError:  # another process recorded them in between
            first = False
        self._known.add(user_id)
        return first

    async def first_opened(self, user_id: str) -> datetime | None:
        async with self._sessions() as session:
            row = await session.get(HomeVisitorRow, user_id)
            return row.first_opened_at if row else None

    async def among(self, user_ids: Iterable[str]) -> set[str]:
        """Those of ``user_ids`` who have opened their Home."""
        wanted = set(user_ids)
        unknown = wanted - self._known
        if unknown:
            async with self._sessions() as session:
                found = await session.scalars(select(HomeVisitorRow.user_id)
                                              .where(HomeVisitorRow.user_id.in_(unknown)))
                self._known.update(found)
        return wanted & self._known

    async def everyone(self) -> set[str]:
        """Everyone who has ever opened their Home."""
        async with self._sessions() as session:
            found = set(await session.scalars(select(HomeVisitorRow.user_id)))
        self._known.update(found)
        return found
