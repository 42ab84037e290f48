"""A real bot process SIGKILLed at each point of placing an order: before the POST leaves,
after MobProc accepted it but before the bot recorded it, and after it was recorded but
before its news went out. After a restart MobProc has exactly one order and the approval
thread says so exactly once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.domain import RequestState
from bot.simulator.server import RunningSimulator
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from bot.storage.requests import RequestRepository
from tests.conftest import APPROVER, BotFactory, DriverFactory, bot_settings
from tests.support.flow import pending_order, submitted_orders
from tests.support.processes import start_bot_process
from tests.support.slack_reading import replies_saying
from tests.support.waiting import request_at


def _before_the_send(simulator: RunningSimulator, slack: FakeSlackWebAPI,
                     repo: RequestRepository, channel: str, ts: str
                     ) -> Callable[[], Awaitable[bool]]:
    # MobProc turns the POST away for a while: the process waits with nothing sent.
    simulator.state.add_fault("POST", r"/orders$", status=429, retry_after="30")

    async def turned_away() -> bool:
        return any(r.method == "POST" and r.path.endswith("/orders") and "confirm" not in r.query
                   for r in simulator.state.received) and not submitted_orders(simulator)
    return turned_away


def _accepted_not_recorded(simulator: RunningSimulator, slack: FakeSlackWebAPI,
                           repo: RequestRepository, channel: str, ts: str
                           ) -> Callable[[], Awaitable[bool]]:
    # MobProc places the order and holds its answer back: killed before it is recorded.
    simulator.state.add_fault("POST", r"/orders$", hold_after_processing=5.0)

    async def accepted() -> bool:
        return bool(submitted_orders(simulator)) and \
            await request_at(repo, channel, ts, RequestState.SUBMITTING) is not None
    return accepted


def _recorded_not_told(simulator: RunningSimulator, slack: FakeSlackWebAPI,
                       repo: RequestRepository, channel: str, ts: str
                       ) -> Callable[[], Awaitable[bool]]:
    # Slack is down: the placement is recorded and its news waits in the outbox.
    slack.fail_next("chat.postMessage", error="internal_error", status=500, retry_after=None,
                    times=1000)
    slack.fail_next("chat.update", error="internal_error", status=500, retry_after=None,
                    times=1000)

    async def recorded() -> bool:
        return await request_at(repo, channel, ts, RequestState.SUBMITTED) is not None
    return recorded


@pytest.mark.parametrize("crash_point", [
    _before_the_send, _accepted_not_recorded, _recorded_not_told])
async def test_a_killed_process_places_one_order_and_tells_it_once(
        crash_point: Callable[..., Callable[[], Awaitable[bool]]],
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, database_url: str, repo: RequestRepository,
        tmp_path: Path) -> None:
    first = await start_test_bot()
    _, channel, ts = await pending_order(driver_for(first), slack)
    await first.stop()  # from here on only the process acts on the request
    process = await start_bot_process(bot_settings(simulator, slack, database_url), tmp_path)
    try:
        reached = crash_point(simulator, slack, repo, channel, ts)
        answer = await driver_for(process).click_button(
            APPROVER, channel_id=channel, message_ts=ts, action_id="approve_request")
        assert answer.status_code == 200
        await eventually(reached, within=15)
    finally:
        await process.kill()
    slack.clear_failures()
    simulator.state.faults.clear()

    second = await start_test_bot()
    await eventually(lambda: replies_saying(slack, channel, ts, "is placed"), within=20)
    for _ in range(3):
        await second.follower.poll_once()
    assert len(submitted_orders(simulator)) == 1
    assert len(replies_saying(slack, channel, ts, "is placed")) == 1
    request = await repo.get_by_message(channel, ts)
    assert request is not None and request.state is RequestState.SUBMITTED
