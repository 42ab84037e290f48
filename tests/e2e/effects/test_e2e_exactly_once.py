"""Exactly-once approvals: many clicks, retries, two processes, crafted payloads."""

from __future__ import annotations

from pathlib import Path

from bot.domain import RequestState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, BotFactory, Clock, DriverFactory, bot_settings
from tests.support.flow import all_text, buttons, click_all, pending_order, submitted_orders
from tests.support.processes import start_bot_process
from tests.support.slack_reading import dms_to, ephemerals_saying
from tests.support.waiting import request_at


async def test_fifty_concurrent_approvals_place_one_order(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)
    clickers = [APPROVER, "UAPPROVER2"] * 25
    answers = await click_all([driver], clickers, channel, ts, "approve_request")
    assert all(a.status_code == 200 for a in answers)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    request = await eventually(lambda: request_at(bot, channel, ts, RequestState.SUBMITTED))
    # Every other clicker is told it was already approved.
    await eventually(lambda: len(ephemerals_saying(slack, "already approved")) == 49)
    assert len(submitted_orders(simulator)) == 1
    audit = await bot.ctx.repo.audit_since(request.created_at)
    assert [a.event for a in audit].count("approved") == 1
    assert [a.event for a in audit].count("refused_click") == 49


async def test_slack_retrying_a_click_changes_nothing(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    placed = await eventually(lambda: request_at(bot, channel, ts, RequestState.SUBMITTED))
    for retry in (1, 2):  # Slack resends the original payload, button value and all
        answer = await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                                           action_id="approve_request", value=placed.id,
                                           retry_num=retry)
        assert answer.status_code == 200

    async def both_retries_handled() -> bool:
        audit = await bot.ctx.repo.audit_since(placed.created_at)
        return [a.event for a in audit].count("refused_click") == 2

    await eventually(both_retries_handled)
    await bot.follower.poll_once()
    assert len(submitted_orders(simulator)) == 1
    assert len(slack.thread_replies(channel, ts)) == 1
    assert not [c for c in slack.calls_to("chat.postEphemeral")
                if c.args.get("user") == APPROVER], "a retried click is answered silently"


async def test_a_crafted_button_cannot_act_on_another_request(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, first_channel, first_ts = await pending_order(driver, slack)
    _, second_channel, second_ts = await pending_order(driver, slack)
    other = await bot.ctx.repo.get_by_message(second_channel, second_ts)
    assert other is not None
    # Approve pressed on the first message, but carrying the second request's id.
    await driver.click_button(APPROVER, channel_id=first_channel, message_ts=first_ts,
                              action_id="approve_request", value=other.id)
    notice = await eventually(lambda: next((c for c in slack.calls_to("chat.postEphemeral")
                                            if c.args.get("user") == APPROVER), None))
    assert "nothing was changed" in all_text(notice.args).lower()
    for channel, ts in ((first_channel, first_ts), (second_channel, second_ts)):
        request = await bot.ctx.repo.get_by_message(channel, ts)
        assert request is not None and request.state is RequestState.PENDING
    assert not submitted_orders(simulator)


async def test_two_bot_processes_on_one_database_place_one_order(
        bot: RunningBot, driver: SlackDriver, driver_for: DriverFactory,
        slack: FakeSlackWebAPI, simulator: RunningSimulator, database_url: str,
        tmp_path: Path) -> None:
    _, channel, ts = await pending_order(driver, slack)
    other = await start_bot_process(bot_settings(simulator, slack, database_url),
                                    tmp_path)
    try:
        second = driver_for(other)
        await click_all([driver, second], [APPROVER, "UAPPROVER2"] * 5, channel, ts,
                        "approve_request")
        await eventually(lambda: request_at(bot, channel, ts, RequestState.SUBMITTED))
        await eventually(lambda: len(ephemerals_saying(slack, "already approved")) == 19)
    finally:
        await other.stop()
    assert len(submitted_orders(simulator)) == 1


async def test_a_click_on_a_decided_request_says_its_state(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    _, channel, ts = await pending_order(driver, slack)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="cancel_request")
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    # A client still showing the old buttons can send them; the stored state answers.
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None
    await driver.click_button("UAPPROVER2", channel_id=channel, message_ts=ts,
                              action_id="approve_request", value=request.id)
    notice = await eventually(lambda: next((c for c in slack.calls_to("chat.postEphemeral")
                                            if c.args.get("user") == "UAPPROVER2"), None))
    assert "was cancelled" in all_text(notice.args)


async def test_pending_approvals_expire(start_test_bot: BotFactory, driver_for: DriverFactory,
                                        slack: FakeSlackWebAPI, simulator: RunningSimulator,
                                        clock: Clock) -> None:
    bot = await start_test_bot(APPROVAL_TTL_HOURS=1)
    driver = driver_for(bot)
    _, channel, ts = await pending_order(driver, slack)
    clock.advance(3500)
    await bot.follower.poll_once()
    assert buttons(slack.messages[(channel, ts)]), "not expired before its time"
    clock.advance(200)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    assert "Expired" in all_text(slack.messages[(channel, ts)])
    told = await eventually(lambda: dms_to(slack, "URequester"))
    assert "expired" in told[0]
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.state is RequestState.EXPIRED
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request", value=request.id)
    notice = await eventually(lambda: next((c for c in slack.calls_to("chat.postEphemeral")
                                            if c.args.get("user") == APPROVER), None))
    assert "expired" in all_text(notice.args)
    assert not submitted_orders(simulator)
