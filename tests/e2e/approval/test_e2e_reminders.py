"""Reminders to approvers: after REMINDER_HOURS, then at growing intervals, once each,
across restarts. The clock is the test's, not the wall's."""

from __future__ import annotations

import asyncio

from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, BotFactory, Clock, DriverFactory
from tests.support.flow import buttons, pending_order
from tests.support.offboarding_flow import ALL_THREE, details_for, send_for_approval
from tests.support.slack_reading import replies_saying

HOUR = 3600


async def test_reminders_at_growing_intervals_once_each_across_a_restart(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        clock: Clock) -> None:
    first = await start_test_bot(REMINDER_HOURS=24, APPROVAL_TTL_HOURS=200)
    driver = driver_for(first)
    _, channel, ts = await pending_order(driver, slack)

    clock.advance(23 * HOUR)
    await first.follower.poll_once()
    assert replies_saying(slack, channel, ts, "reminder") == []
    clock.advance(2 * HOUR)  # 25 h: the first reminder
    await eventually(lambda: len(replies_saying(slack, channel, ts, "reminder")) == 1)
    text = replies_saying(slack, channel, ts, "reminder")[0]
    assert f"<@{APPROVER}>" in text and "<!subteam^SAPPROVERS>" in text
    for _ in range(3):
        await first.follower.poll_once()
    assert len(replies_saying(slack, channel, ts, "reminder")) == 1, "sent once"

    await first.stop()
    second = await start_test_bot(REMINDER_HOURS=24, APPROVAL_TTL_HOURS=200)
    clock.advance(46 * HOUR)  # 71 h: the second is due at 72 h (24 + 48)
    await second.follower.poll_once()
    assert len(replies_saying(slack, channel, ts, "reminder")) == 1
    clock.advance(2 * HOUR)
    await eventually(lambda: len(replies_saying(slack, channel, ts, "reminder")) == 2)
    clock.advance(90 * HOUR)  # 163 h: the third is due at 168 h (24 + 48 + 96)
    await second.follower.poll_once()
    assert len(replies_saying(slack, channel, ts, "reminder")) == 2
    clock.advance(6 * HOUR)
    await eventually(lambda: len(replies_saying(slack, channel, ts, "reminder")) == 3)
    assert "reminder 3" in replies_saying(slack, channel, ts, "reminder")[2]


async def test_no_reminder_once_decided(start_test_bot: BotFactory, driver_for: DriverFactory,
                                        slack: FakeSlackWebAPI, clock: Clock) -> None:
    bot = await start_test_bot(REMINDER_HOURS=1)
    driver = driver_for(bot)
    _, channel, ts = await pending_order(driver, slack)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="cancel_request")
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    clock.advance(5 * HOUR)
    await bot.follower.poll_once()
    assert replies_saying(slack, channel, ts, "reminder") == []


async def test_a_leavers_request_is_reminded_the_same_way_once_each_with_two_bots(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        clock: Clock) -> None:
    """/offboard-lines waiting for approval: reminded after 1 and 3 intervals in its thread,
    once each with two bots on the one database, and not once decided."""
    bots = [await start_test_bot(REMINDER_HOURS=1, APPROVAL_TTL_HOURS=20) for _ in range(2)]
    driver = driver_for(bots[0])
    channel, ts = await send_for_approval(driver, slack,
                                          await details_for(driver, slack, ALL_THREE))

    async def rounds() -> None:
        for _ in range(2):
            await asyncio.gather(*(b.follower.poll_once() for b in bots))

    clock.advance(0.9 * HOUR)
    await rounds()
    assert replies_saying(slack, channel, ts, "reminder") == []
    clock.advance(0.2 * HOUR)  # 1.1 h: the first reminder
    await eventually(lambda: len(replies_saying(slack, channel, ts, "reminder")) == 1)
    text = replies_saying(slack, channel, ts, "reminder")[0]
    assert f"<@{APPROVER}>" in text and "<!subteam^SAPPROVERS>" in text
    assert "Lena Leaver's 3 line(s)" in text and "reminder 1" in text
    await rounds()
    assert len(replies_saying(slack, channel, ts, "reminder")) == 1, "sent once"
    clock.advance(1.8 * HOUR)  # 2.9 h: the second is due at 3 h (1 + 2)
    await rounds()
    assert len(replies_saying(slack, channel, ts, "reminder")) == 1
    clock.advance(0.2 * HOUR)
    await eventually(lambda: len(replies_saying(slack, channel, ts, "reminder")) == 2)
    assert "reminder 2" in replies_saying(slack, channel, ts, "reminder")[1]
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="cancel_offboarding")
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    clock.advance(5 * HOUR)  # the third would be due at 7 h
    await rounds()
    assert len(replies_saying(slack, channel, ts, "reminder")) == 2
