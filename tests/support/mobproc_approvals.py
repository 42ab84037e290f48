"""MobProc's own approvals as the tests play them: a simulator where suspensions wait for
Avery's (APPROVER's) or Sam's approval, and the DMs the bot sends the approver."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.simulator.server import RunningSimulator, SimulatorConfig, start_simulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER
from tests.support.clocks import Clock
from tests.support.flow import buttons
from tests.support.home import open_home

AVERY_EMAIL, SAM_EMAIL = "avery@acme.com", "sam@acme.com"
SAM = "UAPPROVER2"
AVERY_DM = f"D{APPROVER}"
PORTAL_ORDER = "9000001"  # seeded: a suspension of (212) 555-0123 placed in the portal
# MobProc's timeout in tests that wait out an answer's lease (six of them: three tries, each
# waiting up to a timeout for its turn and then running to it).
SHORT_TIMEOUT = 0.5


@pytest.fixture
async def simulator(clock: Clock) -> AsyncIterator[RunningSimulator]:
    """Suspensions wait in MobProc for Avery's or Sam's approval (import it as
    ``simulator`` where a test needs that MobProc instead of the plain one)."""
    sim = await start_simulator(SimulatorConfig(step_seconds=10.0, clock=clock,
                                                approval_types=frozenset({"SUSPEND"})))
    yield sim
    await sim.stop()


def dms(slack: FakeSlackWebAPI, channel: str = AVERY_DM) -> list[dict[str, Any]]:
    return [m for (c, _), m in slack.messages.items()
            if c == channel and m.get("user") == slack.bot_user_id]


def approval_dms(slack: FakeSlackWebAPI, channel: str = AVERY_DM) -> list[dict[str, Any]]:
    """The DMs that are MobProc approval requests (the others are plain notices)."""
    return [m for m in dms(slack, channel)
            if any(b.get("type") == "header" for b in m.get("blocks", []))]


def notices(slack: FakeSlackWebAPI, channel: str = AVERY_DM) -> list[str]:
    return [m["text"] for m in dms(slack, channel) if m not in approval_dms(slack, channel)]


async def avery_dm(driver: SlackDriver, slack: FakeSlackWebAPI) -> dict[str, Any]:
    """Avery opens the App Home: the portal order waiting for her arrives as a DM."""
    await open_home(driver, slack, APPROVER)
    # A copy: Slack's stored message changes when the bot updates it.
    return copy.deepcopy((await eventually(lambda: approval_dms(slack)))[0])


async def click(driver: SlackDriver, dm: dict[str, Any], action: str,
                user: str = APPROVER, channel: str = AVERY_DM) -> None:
    # The button as first shown: a second click may come from a screen not yet updated.
    value = next(b["value"] for b in buttons(dm) if b["action_id"] == action)
    answer = await driver.click_button(user, channel_id=channel, message_ts=dm["ts"],
                                       action_id=action, value=value)
    assert answer.status_code == 200
