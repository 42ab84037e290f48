"""Shared fixtures: the MobProc simulator, the fake Slack Web API, and the bot itself,
each on a free loopback port, wired together as in production."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.runtime import RunningBot
from bot.settings import Settings
from bot.simulator.server import RunningSimulator, SimulatorConfig, start_simulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from handlers.app import start_bot
from tests.support.clocks import Clock

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test-token"
REQUESTER = "URequester"
APPROVER = "UAPPROVER"
OTHER = "UOTHER"
APPROVAL_CHANNEL = "CAPPROVALS"
HELPDESK = "CHELPDESK"
# Copies of Tangoe's published examples and Slack's manifest schema (see fixtures/README.md).
ROOT = Path(__file__).resolve().parent.parent  # the checkout
FIXTURES = ROOT / "tests" / "fixtures"
# Set to a PostgreSQL server URL (postgresql+asyncpg://user@host:port/db) to run every test
# on a fresh PostgreSQL database instead of a SQLite file.
TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def simulator(clock: Clock) -> AsyncIterator[RunningSimulator]:
    sim = await start_simulator(SimulatorConfig(step_seconds=10.0, clock=clock))
    yield sim
    await sim.stop()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlackWebAPI]:
    api = FakeSlackWebAPI(bot_token=BOT_TOKEN)
    await api.start()
    yield api
    await api.stop()


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """One database per test, shared by every bot (and process) the test starts."""
    if not TEST_POSTGRES_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_async_engine(TEST_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield f"{TEST_POSTGRES_URL.rsplit('/', 1)[0]}/{name}"
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


def bot_settings(simulator: RunningSimulator, slack: FakeSlackWebAPI, database_url: str,
                 **overrides: Any) -> Settings:
    c = simulator.config
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,
        "PORT": 0,
        "MOBPROC_BASE_URL": simulator.base_url,
        "MOBPROC_TOKEN_URL": simulator.token_url,
        "MOBPROC_CLIENT_ID": c.client_id,
        "MOBPROC_CLIENT_SECRET": c.client_secret,
        "MOBPROC_USERNAME": c.username,
        "MOBPROC_PASSWORD": c.password,
        "MOBPROC_TENANT": c.tenant,
        "DATABASE_URL": database_url,
        "APPROVERS": f"{APPROVER},SAPPROVERS",
        "APPROVAL_CHANNEL": APPROVAL_CHANNEL,
        "HELPDESK_CHANNELS": HELPDESK,
        "STATUS_POLL_SECONDS": 0.05,
        # Claims last what a send may take (MobProc: a turn and one call, 4 × 0.5 s + 0.5 s;
        # the outbox: from the Slack timeout): short, so tests see a lapsed claim taken over
        # soon.
        "MOBPROC_TIMEOUT_SECONDS": 0.5,
        "SLACK_TIMEOUT_SECONDS": 1.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


BotFactory = Callable[..., Awaitable[RunningBot]]


@pytest.fixture
async def start_test_bot(simulator: RunningSimulator, slack: FakeSlackWebAPI,
                         database_url: str, clock: Clock) -> AsyncIterator[BotFactory]:
    """Start the bot (again, for restart tests) on the same database, simulator and Slack."""
    running: list[RunningBot] = []

    async def start(**overrides: Any) -> RunningBot:
        settings = bot_settings(simulator, slack, database_url, **overrides)
        bot = await start_bot(settings, host="127.0.0.1", clock=clock)
        running.append(bot)
        return bot

    yield start
    for bot in running:
        await bot.stop()


@pytest.fixture
async def bot(start_test_bot: BotFactory, request: pytest.FixtureRequest) -> RunningBot:
    """The bot, with the settings of the test's ``bot_settings`` mark, if any."""
    mark = request.node.get_closest_marker("bot_settings")
    return await start_test_bot(**(mark.kwargs if mark else {}))


# MobProc as slow as a test needs, answering within the bot's timeout (and so with claims on
# its effects lasting as long as that allows): 10 s, as in production.
SLOW_MOBPROC = {"MOBPROC_TIMEOUT_SECONDS": 10.0}


class HasEventsUrl(Protocol):
    @property
    def events_url(self) -> str: ...


DriverFactory = Callable[[HasEventsUrl], SlackDriver]


@pytest.fixture
async def driver_for(slack: FakeSlackWebAPI) -> AsyncIterator[DriverFactory]:
    """A signed Slack driver for a given bot (for tests that start several); closed after."""
    made: list[SlackDriver] = []

    def make(bot: HasEventsUrl) -> SlackDriver:
        made.append(SlackDriver(bot.events_url, SIGNING_SECRET, slack))
        return made[-1]

    yield make
    for d in made:
        await d.aclose()


@pytest.fixture
def driver(bot: RunningBot, driver_for: DriverFactory) -> SlackDriver:
    return driver_for(bot)
