"""The tests of MobProc's own approvals run against a MobProc where suspensions wait for
approval, with a bot that looks for waiting orders often."""

from __future__ import annotations

import pytest

from bot.runtime import RunningBot
from tests.conftest import BotFactory
from tests.support.mobproc_approvals import simulator as simulator


@pytest.fixture
async def bot(start_test_bot: BotFactory) -> RunningBot:
    return await start_test_bot(MOBPROC_APPROVALS_POLL_SECONDS=0.05)
