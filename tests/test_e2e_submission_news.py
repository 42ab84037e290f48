"""What a submission tells its thread: once, by the path that recorded it."""

from __future__ import annotations

from bot.mobproc import assumed
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER
from tests.flow import pending_order, submitted_orders


def replies(slack: FakeSlackWebAPI, channel: str, ts: str) -> list[str]:
    return [r["text"] for r in slack.thread_replies(channel, ts)]


def updates(slack: FakeSlackWebAPI, channel: str, ts: str) -> int:
    return len([c for c in slack.calls_to("chat.update")
                if c.ok and (c.args.get("channel"), c.args.get("ts")) == (channel, ts)])


def looked_up(simulator: RunningSimulator) -> bool:
    """Whether the bot asked MobProc for an order by its externalOrderNumber: only a resumed
    submission does (a click's first submission never does)."""
    return any(r.method == "GET" and assumed.EXTERNAL_ORDER_NUMBER_FILTER in r.query
               for r in simulator.state.received)


async def test_mobproc_slower_than_the_lease_tells_placed_once(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)
    # MobProc places the order at once but answers the click 3 s later, six leases
    # (SUBMIT_LEASE_SECONDS=0.5): the follower takes the submission over meanwhile.
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
