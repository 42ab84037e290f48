"""What a leaver's request tells its thread: each line's news once, by the path that recorded
it, and neither a line's news nor the final summary lost to a crash between recording the
change and queueing its news."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from bot.domain import RequestState
from bot.offboarding.models import OffboardingState
from bot.phone import format_service_number
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, REQUESTER, BotFactory, Clock, DriverFactory
from tests.support.crash import crashed, die_right_after, die_right_after_moving_to, looked_up
from tests.support.flow import buttons, submitted_orders
from tests.support.offboarding_flow import (
    pending_offboarding,
)
from tests.support.slack_reading import replies


def refuse_every_line(simulator: RunningSimulator) -> None:
    simulator.state.add_fault("POST", r"/orders$", status=400, times=3)


async def _numbers(bot: RunningBot, offboarding_id: str) -> list[str]:
    return [format_service_number(o.service.serviceNumber)
            for o in await bot.ctx.offboarding.repo.orders(offboarding_id)]


def told(slack: FakeSlackWebAPI, channel: str, ts: str, numbers: list[str],
         news: str) -> Counter[str]:
    """How many replies in the thread give each line's ``news``."""
    return Counter(n for text in replies(slack, channel, ts) if news in text
                   for n in numbers if n in text)


def approved_replies(slack: FakeSlackWebAPI, channel: str, ts: str) -> int:
    return len([t for t in replies(slack, channel, ts) if "Approved by" in t])


async def _approve(driver: SlackDriver, channel: str, ts: str) -> None:
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")


async def test_mobproc_slower_than_the_lease_tells_each_line_placed_once(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    offboarding_id, channel, ts = await pending_offboarding(driver, slack)
    numbers = await _numbers(bot, offboarding_id)
    # MobProc places each line's order at once but answers the click 3 s later, past the
    # bot's timeout: the click's answers are lost, and the lines are looked up, by the click
    # or by the follower taking them over.
    simulator.state.add_fault("POST", r"/orders$", hold_after_processing=3.0, times=3)
    await _approve(driver, channel, ts)
    await eventually(lambda: looked_up(simulator))
    await eventually(lambda: told(slack, channel, ts, numbers, "placed; status")
                     == Counter(numbers), within=15)
    # Stopping lets the click still waiting for MobProc's answers finish, and sends the outbox.
    await bot.stop()
    assert told(slack, channel, ts, numbers, "placed; status") == Counter(numbers)
    assert approved_replies(slack, channel, ts) == 1
    assert len(submitted_orders(simulator)) == 3


@pytest.mark.parametrize(("state", "fault", "news", "orders"), [
    (RequestState.SUBMITTED, None, "placed; status", 3),
    (RequestState.FAILED, refuse_every_line, "MobProc refused the order", 0),
])
async def test_a_crash_right_after_recording_a_line_loses_none_of_its_news(
        state: RequestState, fault: Callable[[RunningSimulator], None] | None, news: str,
        orders: int, start_test_bot: BotFactory, driver_for: DriverFactory,
        slack: FakeSlackWebAPI, simulator: RunningSimulator) -> None:
    first = await start_test_bot()
    offboarding_id, channel, ts = await pending_offboarding(driver_for(first), slack)
    numbers = await _numbers(first, offboarding_id)
    if fault is not None:
        fault(simulator)
    kills = die_right_after_moving_to(first, state)
    await _approve(driver_for(first), channel, ts)

    async def recorded() -> bool:
        lines = await first.ctx.offboarding.repo.orders(offboarding_id)
        return {o.state for o in lines} == {state}

    await eventually(recorded)
    await crashed(kills)
    await first.stop()
    second = await start_test_bot()
    await eventually(lambda: told(slack, channel, ts, numbers, news) == Counter(numbers),
                     within=15)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    await second.follower.poll_once()
    assert told(slack, channel, ts, numbers, news) == Counter(numbers)
    assert approved_replies(slack, channel, ts) == 1
    assert len(submitted_orders(simulator)) == orders


def die_right_after_the_request_moves_to(bot: RunningBot, state: OffboardingState
                                         ) -> list[str]:
    """The request's move to ``state`` dies once committed, before anything after it runs;
    returns the kills, as they happen."""
    kills: list[str] = []
    die_right_after(bot.ctx.offboarding.repo, "transition", state, kills)
    return kills


async def test_a_crash_right_after_the_last_line_ended_loses_no_summary(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, clock: Clock) -> None:
    first = await start_test_bot()
    offboarding_id, channel, ts = await pending_offboarding(driver_for(first), slack)
    kills = die_right_after_the_request_moves_to(first, OffboardingState.DONE)
    await _approve(driver_for(first), channel, ts)
    await eventually(lambda: len(submitted_orders(simulator)) == 3)
    for _ in range(3):
        clock.advance(10)

    await eventually(lambda: _request_in(first, offboarding_id, OffboardingState.DONE),
                     within=15)
    await crashed(kills)
    await first.stop()
    second = await start_test_bot()
    await eventually(lambda: any("All done" in t for t in replies(slack, channel, ts)),
                     within=15)
    await second.follower.poll_once()
    await second.follower.poll_once()
    assert len([t for t in replies(slack, channel, ts) if "All done" in t]) == 1
    assert "Every line's order has ended" in str(slack.messages[(channel, ts)])


async def test_a_crash_right_after_the_request_expired_loses_no_notice(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, clock: Clock) -> None:
    first = await start_test_bot(APPROVAL_TTL_HOURS=1)
    offboarding_id, channel, ts = await pending_offboarding(driver_for(first), slack)
    kills = die_right_after_the_request_moves_to(first, OffboardingState.EXPIRED)
    clock.past(3601)
    await eventually(lambda: _request_in(first, offboarding_id, OffboardingState.EXPIRED))
    await crashed(kills)
    await first.stop()
    second = await start_test_bot(APPROVAL_TTL_HOURS=1)
    await eventually(lambda: any("expired" in t for t in replies(slack, channel, ts)),
                     within=15)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    await second.follower.poll_once()
    assert len([t for t in replies(slack, channel, ts) if "expired" in t]) == 1
    assert len([c for c in slack.calls_to("chat.postMessage") if c.ok and
                c.args.get("channel") == REQUESTER and "expired" in c.args.get("text", "")]) == 1
    assert submitted_orders(simulator) == []


async def _request_in(bot: RunningBot, offboarding_id: str, state: OffboardingState) -> bool:
    stored = await bot.ctx.offboarding.get(offboarding_id)
    return stored is not None and stored.state is state
