"""What a submission tells its thread: once, by the path that recorded it, and never lost to a
crash between recording the change and queueing its news."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.domain import LineRequest, RequestState
from bot.orders.submission import order_request
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, BotFactory, DriverFactory
from tests.support.crash import crashed, die_right_after_moving_to, looked_up
from tests.support.flow import buttons, pending_order, submitted_orders
from tests.support.slack_reading import replies
from tests.support.waiting import request_in


def updates(slack: FakeSlackWebAPI, channel: str, ts: str) -> int:
    return len([c for c in slack.calls_to("chat.update")
                if c.ok and (c.args.get("channel"), c.args.get("ts")) == (channel, ts)])


async def test_mobproc_slower_than_the_lease_tells_placed_once(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)
    # MobProc places the order at once but answers the click 3 s later, past the bot's
    # timeout: the answer is lost and the order is looked up, not sent again.
    simulator.state.add_fault("POST", r"/orders$", hold_after_processing=3.0)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    await eventually(lambda: looked_up(simulator))
    await eventually(lambda: replies(slack, channel, ts))
    assert len(submitted_orders(simulator)) == 1
    # Stopping lets the click still waiting for MobProc's answer finish, and sends the outbox.
    await bot.stop()
    texts = replies(slack, channel, ts)
    assert len(texts) == 1 and "is placed" in texts[0], texts
    assert updates(slack, channel, ts) == 1
    assert len(submitted_orders(simulator)) == 1


def refuse_orders(simulator: RunningSimulator) -> None:
    simulator.state.add_fault("POST", r"/orders$", status=400)


@pytest.mark.parametrize(("button", "state", "fault", "told", "orders"), [
    ("approve_request", RequestState.SUBMITTED, None, "is placed", 1),
    ("approve_request", RequestState.FAILED, refuse_orders, "MobProc refused the order", 0),
    ("cancel_request", RequestState.CANCELLED, None, "Cancelled by", 0),
])
async def test_a_crash_right_after_recording_a_decision_loses_no_news(
        button: str, state: RequestState,
        fault: Callable[[RunningSimulator], None] | None, told: str, orders: int,
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    first = await start_test_bot()
    driver = driver_for(first)
    _, channel, ts = await pending_order(driver, slack)
    if fault is not None:
        fault(simulator)
    kills = die_right_after_moving_to(first, state)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id=button)

    async def recorded() -> LineRequest | None:
        request = await first.ctx.repo.get_by_message(channel, ts)
        return request if request is not None and request.state is state else None

    await eventually(recorded)
    await crashed(kills)
    await first.stop()
    second = await start_test_bot()
    await eventually(lambda: replies(slack, channel, ts), within=15)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    await second.follower.poll_once()
    texts = replies(slack, channel, ts)
    assert len(texts) == 1 and told in texts[0], texts
    assert updates(slack, channel, ts) == 1
    assert len(submitted_orders(simulator)) == orders


async def test_a_crash_right_after_the_follower_records_a_resumed_order_loses_no_news(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    first = await start_test_bot()
    _, channel, ts = await pending_order(driver_for(first), slack)
    request = await first.ctx.repo.get_by_message(channel, ts)
    assert request is not None
    # A click that died after MobProc placed the order, before its answer was recorded.
    await first.ctx.repo.transition(request.id, [RequestState.PENDING],
                                    RequestState.SUBMITTING, decided_by=APPROVER)
    await first.ctx.orders.mobproc.submit_order(order_request(
        request, request.properties, []), on_behalf_of=None)
    await first.stop()
    # The dead click's claim (from before claims: untouched for a lease) lapses a lease
    # after it was taken, time enough for the hook below to be in place.
    second = await start_test_bot()
    kills = die_right_after_moving_to(second, RequestState.SUBMITTED)
    await eventually(lambda: request_in(second, request.id, RequestState.SUBMITTED), within=15)
    await crashed(kills)
    assert looked_up(simulator), "the follower resumed it"
    await second.stop()
    third = await start_test_bot()
    await eventually(lambda: replies(slack, channel, ts), within=15)
    await third.follower.poll_once()
    texts = replies(slack, channel, ts)
    assert len(texts) == 1 and "is placed" in texts[0], texts
    assert len(submitted_orders(simulator)) == 1


async def test_news_of_an_unanswered_click_never_follows_news_of_the_placement(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    """The click gets no answer from MobProc; by the time it would say "can't confirm yet",
    another path (the follower taking the submission over) has recorded the order and told
    it. The thread must end on the placement, not go back to "approved, not placed yet"."""
    _, channel, ts = await pending_order(driver, slack)
    submission = bot.ctx.orders.submission
    clicked_place = submission._place

    async def another_path_records_it_first(claim, tell, **kw):  # type: ignore[no-untyped-def]
        placement = await clicked_place(claim, tell, **kw)
        order = await submission.mobproc.submit_order(order_request(
            claim.request, claim.request.properties, []), on_behalf_of=None)
        await submission._record_order(claim.request, order, tell)
        return placement

    submission._place = another_path_records_it_first  # type: ignore[method-assign]
    # A failing server may have placed it: the click looks, finds nothing, and waits.
    simulator.state.add_fault("POST", r"/orders$", status=503)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    await eventually(lambda: replies(slack, channel, ts))
    await bot.stop()  # sends the outbox
    texts = replies(slack, channel, ts)
    assert len(texts) == 1 and "is placed" in texts[0], texts
    assert len(submitted_orders(simulator)) == 1
