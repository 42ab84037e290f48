"""SIGTERM, as a container orchestrator sends it, in the middle of an approval: the bot stops
taking requests, finishes what it started within SHUTDOWN_GRACE_SECONDS, sends its replies
and exits 0; nothing is lost or doubled, even when the grace runs out."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.domain import RequestState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, BotFactory, DriverFactory, bot_settings
from tests.support.flow import pending_order, submitted_orders
from tests.support.processes import BotProcess, start_bot_process
from tests.support.slack_reading import replies
from tests.support.waiting import request_at


async def approval_in_flight(start_test_bot: BotFactory, driver_for: DriverFactory,
                             slack: FakeSlackWebAPI, simulator: RunningSimulator,
                             database_url: str, tmp_path: Path, *, hold: float,
                             **overrides: object) -> tuple[BotProcess, str, str]:
    """A bot process whose approval has reached MobProc, which takes ``hold`` s to answer."""
    first = await start_test_bot()
    _, channel, ts = await pending_order(driver_for(first), slack)
    await first.stop()  # from here on only the process acts on the request
    # As in production, MobProc answers within the timeout, so the click's claim on the
    # submission (derived from it) outlasts the answer and the process's own follower leaves
    # the click's submission alone.
    settings = bot_settings(simulator, slack, database_url,
                            MOBPROC_TIMEOUT_SECONDS=hold + 0.5, **overrides)
    process = await start_bot_process(settings, tmp_path)
    simulator.state.add_fault("POST", r"/orders$", hold_after_processing=hold)
    answer = await driver_for(process).click_button(
        APPROVER, channel_id=channel, message_ts=ts, action_id="approve_request")
    assert answer.status_code == 200
    await eventually(lambda: submitted_orders(simulator))
    return process, channel, ts


async def settled(bot: RunningBot, channel: str, ts: str) -> RunningBot:
    """A few follower rounds of a restarted bot, so anything it would resend has been."""
    for _ in range(3):
        await bot.follower.poll_once()
    return bot


async def test_sigterm_mid_approval_finishes_it_and_exits_cleanly(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, database_url: str, tmp_path: Path) -> None:
    # The follower sleeps through the test: only the shutdown's flush can resend a reply.
    process, channel, ts = await approval_in_flight(
        start_test_bot, driver_for, slack, simulator, database_url, tmp_path, hold=3.0,
        STATUS_POLL_SECONDS=3600)
    # Slack fails the reply when the listener sends it (past slack-sdk's own retries).
    slack.fail_next("chat.postMessage", error="internal_error", status=500, retry_after=None,
                    times=3)
    try:
        process.sigterm()
        # New requests are refused at once, while the approval is still being finished.
        await eventually(lambda: _refusing(process), within=5)
        assert process.process.returncode is None
        assert replies(slack, channel, ts) == [], "refused before the work in flight ended"
        assert await process.exit_code() == 0
    finally:
        await process.kill()
    assert [c.ok for c in slack.calls_to("chat.postMessage")][-4:] == [False] * 3 + [True]
    # The dying process placed the order once and, flushing its outbox, sent the reply.
    assert len(submitted_orders(simulator)) == 1
    assert len(replies(slack, channel, ts)) == 1
    assert "is placed" in replies(slack, channel, ts)[0]

    second = await start_test_bot()
    request = await second.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.state is RequestState.SUBMITTED
    assert request.order_id in simulator.state.orders
    await settled(second, channel, ts)
    assert len(submitted_orders(simulator)) == 1, "not placed again after the restart"
    assert len(replies(slack, channel, ts)) == 1, "no reply sent twice"


async def test_sigterm_past_the_grace_period_loses_nothing(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, database_url: str, tmp_path: Path) -> None:
    process, channel, ts = await approval_in_flight(
        start_test_bot, driver_for, slack, simulator, database_url, tmp_path, hold=1.5,
        SHUTDOWN_GRACE_SECONDS=0.5)
    try:
        process.sigterm()
        assert await process.exit_code(within=5) == 0, "the grace bounds the wait"
    finally:
        await process.kill()
    assert replies(slack, channel, ts) == [], "MobProc had not answered within the grace"

    # The next start resumes the interrupted submission once the dead process's claim has
    # lapsed: found by its number, not resent.
    second = await start_test_bot()
    request = await eventually(lambda: request_at(second, channel, ts, RequestState.SUBMITTED),
                               within=20)
    assert request.order_id in simulator.state.orders
    await eventually(lambda: replies(slack, channel, ts))
    await settled(second, channel, ts)
    assert len(submitted_orders(simulator)) == 1
    assert len(replies(slack, channel, ts)) == 1
    assert "is placed" in replies(slack, channel, ts)[0]


async def _refusing(process: BotProcess) -> bool:
    return not await process.accepts_connections()


async def test_stopping_in_socket_mode_closes_the_socket_first_and_finishes_the_click(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    first = await start_test_bot()
    _, channel, ts = await pending_order(driver_for(first), slack)
    await first.stop()
    bot = await start_test_bot(SLACK_APP_TOKEN=slack.app_token, SLACK_SIGNING_SECRET=None,
                               MOBPROC_TIMEOUT_SECONDS=3)
    await eventually(lambda: slack.socket_connected)
    simulator.state.add_fault("POST", r"/orders$", hold_after_processing=2.0)
    message = slack.messages[(channel, ts)]
    button = next(e for b in message["blocks"] if b["type"] == "actions"
                  for e in b["elements"] if e["action_id"] == "approve_request")
    await slack.socket_send("interactive", {
        "type": "block_actions", "user": {"id": APPROVER, "team_id": "T0TEST"},
        "team": {"id": "T0TEST"}, "api_app_id": "AFAKE", "trigger_id": slack.issue_trigger_id(),
        "container": {"type": "message", "message_ts": ts, "channel_id": channel},
        "channel": {"id": channel}, "message": message,
        "actions": [{"type": "button", "action_id": "approve_request", "block_id": "decision",
                     "value": button["value"], "action_ts": "1700000000.000001"}]})
    await eventually(lambda: submitted_orders(simulator))

    stopping = asyncio.create_task(bot.stop())  # what SIGTERM runs
    await eventually(lambda: not slack.socket_connected, within=5)
    assert not stopping.done() and replies(slack, channel, ts) == []
    await stopping
    assert len(submitted_orders(simulator)) == 1
    assert len(replies(slack, channel, ts)) == 1 and "is placed" in replies(slack, channel, ts)[0]


async def test_sigterm_does_not_wait_for_a_retry_slack_holds_back_past_the_grace(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, database_url: str, tmp_path: Path) -> None:
    """Slack holds the channel back for longer than the grace (429, Retry-After): the stop
    exits at once instead of waiting out the grace for a retry it could never make, and the
    queued reply goes out from the next start."""
    first = await start_test_bot()
    _, channel, ts = await pending_order(driver_for(first), slack)
    await first.stop()
    process = await start_bot_process(bot_settings(simulator, slack, database_url,
                                                   SHUTDOWN_GRACE_SECONDS=20), tmp_path)
    try:
        slack.fail_next("chat.postMessage", retry_after=60)
        await driver_for(process).click_button(APPROVER, channel_id=channel, message_ts=ts,
                                               action_id="approve_request")
        await eventually(lambda: slack.refused_for_rate("chat.postMessage") == 1)
        process.sigterm()
        assert await process.exit_code(within=10) == 0, "not held for the 20 s grace"
    finally:
        await process.kill()
    assert replies(slack, channel, ts) == []
    await start_test_bot()
    await eventually(lambda: len(replies(slack, channel, ts)) == 1)
    assert len(submitted_orders(simulator)) == 1
