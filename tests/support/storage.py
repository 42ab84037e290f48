"""The test's database opened straight (not through a bot), and a stored request to start
from, for the storage tests and the tests that look into the database behind a bot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.mobproc.models import (
    AcknowledgementsResponse,
    PropertyDefinition,
    PropertyGroup,
    ServiceAsset,
    TransactionType,
)
from bot.storage.database import create_engine, migrate
from bot.storage.requests import RequestRepository


@asynccontextmanager
async def open_database(url: str, *, migrations: int = 0) -> AsyncIterator[AsyncEngine]:
    """An engine on ``url``, migrated ``migrations`` times first (0: a bot started on it
    migrates it; 2: migrating an up-to-date database again must be harmless); disposed
    after."""
    engine = create_engine(url)
    try:
        for _ in range(migrations):
            await migrate(engine)
        yield engine
    finally:
        await engine.dispose()


@asynccontextmanager
async def open_repository(url: str, *, migrations: int = 0
                          ) -> AsyncIterator[RequestRepository]:
    async with open_database(url, migrations=migrations) as engine:
        yield RequestRepository(engine)


async def draft(repo: RequestRepository, request_id: str = "r1") -> None:
    """A suspend request's draft (Riley's, line 4155550199, one choice "Reason")."""
    await repo.create_draft(
        request_id=request_id, transaction_type=TransactionType.SUSPEND, requester_id="U1",
        requester_name="Riley", requester_email="riley@acme.com", origin_channel="C1",
        service=ServiceAsset(id="s1", serviceNumber="4155550199", orderActions=["SUSPEND"]),
        property_groups=[PropertyGroup(groupId="G", fields=[
            PropertyDefinition(id="Reason", label="Reason", type="CHOICE",
                               choices=[{"id": "1", "label": "Lost"}])])],
        acknowledgements=AcknowledgementsResponse(), external_order_number=f"EXT-{request_id}")
