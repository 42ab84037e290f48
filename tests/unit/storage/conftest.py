"""Fixtures of the storage tests: the test's database, migrated, with no bot on it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.requests import RequestRepository
from tests.support.storage import open_database, open_repository


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    async with open_database(database_url, migrations=1) as migrated:
        yield migrated


@pytest.fixture
async def repo(database_url: str) -> AsyncIterator[RequestRepository]:
    async with open_repository(database_url, migrations=1) as repository:
        yield repository
