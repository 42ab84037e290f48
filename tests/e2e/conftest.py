"""Fixtures of the end-to-end tests that look into the database behind the bots."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.storage.requests import RequestRepository
from tests.support.storage import open_repository


@pytest.fixture
async def repo(database_url: str) -> AsyncIterator[RequestRepository]:
    """The requests in the test's database, not migrated: the bots the test starts do that."""
    async with open_repository(database_url) as repository:
        yield repository
