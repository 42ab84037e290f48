"""MobProc's own approval workflow, end to end: thread news of an order placed from Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.mobproc.models import ApprovalRequest
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator, SimulatorConfig, start_simulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import Clock
from tests.flow import approved_order

AVERY_EMAIL, SAM_EMAIL = "avery@acme.com", "sam@acme.com"


@pytest.fixture
async def simulator(clock: Clock) -> AsyncIterator[RunningSimulator]:
    """Suspensions wait in MobProc for Avery's or Sam's approval."""
    sim = await start_simulator(SimulatorConfig(step_seconds=10.0, clock=clock,
                                                approval_types=frozenset({"SUSPEND"})))
    yield sim
    await sim.stop()


def _texts(slack: FakeSlackWebAPI, channel: str, ts: str) -> list[str]:
    return [m["text"] for m in slack.thread_replies(channel, ts)]


async def test_the_thread_says_when_an_order_waits_in_mobproc_and_who_approved(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    _, channel, ts = await approved_order(driver, slack)
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.order_id
    clock.advance(10)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 2)
    assert "is now *waiting for approval in MobProc*" in _texts(slack, channel, ts)[1]
    # Avery approves it in MobProc's portal.
    status = await bot._mobproc.answer_approval(request.order_id,
                                                ApprovalRequest(action="APPROVE"),
                                                on_behalf_of=AVERY_EMAIL)
    assert status == "APPROVAL_QUEUED"
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 3)
    assert f"MobProc order *{request.order_id}* was approved in MobProc by Avery Approver; " \
           "it is now *In progress*." in _texts(slack, channel, ts)[2]
    clock.advance(10)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 4)
    assert "the line is suspended" in _texts(slack, channel, ts)[3]


async def test_the_thread_says_who_rejected_it_in_mobproc_and_why(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    _, channel, ts = await approved_order(driver, slack)
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.order_id
    clock.advance(10)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 2)
    await bot._mobproc.answer_approval(
        request.order_id, ApprovalRequest(action="REJECT", reason="Found the phone"),
        on_behalf_of=SAM_EMAIL)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 3)
    text = _texts(slack, channel, ts)[2]
    assert "was rejected in MobProc by Sam Supervisor (Found the phone); it is now " \
           "*Rejected*" in text
    assert "this order ended without being completed" in text
