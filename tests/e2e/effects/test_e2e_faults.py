"""Faults injected into MobProc and Slack, and restarts at every step: no order lost,
none placed twice, every thread reply once and in order."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from bot.demo import fill_form
from bot.domain import RequestState
from bot.mobproc.models import AcknowledgementValue, OrderRequest
from bot.ops.logs import log_handler
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import (
    APPROVER,
    BOT_TOKEN,
    REQUESTER,
    SIGNING_SECRET,
    SLOW_MOBPROC,
    BotFactory,
    Clock,
    DriverFactory,
    bot_settings,
)
from tests.support.flow import (
    all_text,
    approve,
    open_form,
    pending_order,
    submit_form,
    submitted_orders,
)
from tests.support.processes import start_bot_process
from tests.support.slack_reading import replies
from tests.support.waiting import request_at


async def test_answer_lost_after_the_order_was_created(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)
    simulator.state.add_fault("POST", r"/orders$", drop_after_processing=True)
    await approve(driver, channel, ts, check=False)
    request = await eventually(lambda: request_at(bot, channel, ts, RequestState.SUBMITTED))
    assert len(submitted_orders(simulator)) == 1
    assert request.order_id == next(iter(simulator.state.orders))
    await eventually(lambda: replies(slack, channel, ts))
    assert "is placed" in replies(slack, channel, ts)[0]


async def test_an_answer_lost_while_mobproc_refuses_the_lookup_is_never_resent(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)
    simulator.state.add_fault("POST", r"/orders$", drop_after_processing=True)
    simulator.state.add_fault("GET", r"/orders$", status=400, times=1000)
    await approve(driver, channel, ts, check=False)
    await eventually(lambda: replies(slack, channel, ts))
    assert "won't tell me whether the order was placed" in replies(slack, channel, ts)[0]
    assert "SLACK-" in replies(slack, channel, ts)[0]  # the reference to look for by hand
    lookups = simulator.state.faults[0]
    asked = lookups.times
    # Resumed round after round (each asks again); told once, never resent.
    await eventually(lambda: lookups.times <= asked - 3)
    await bot.follower.poll_once()
    assert len(replies(slack, channel, ts)) == 1
    assert len(submitted_orders(simulator)) == 1
    assert ":warning:" in all_text(slack.messages[(channel, ts)])
    # Once MobProc answers the lookup, the order it had placed is found and followed.
    simulator.state.faults.clear()
    request = await eventually(lambda: request_at(bot, channel, ts, RequestState.SUBMITTED))
    assert request.order_id in simulator.state.orders and request.error is None
    await eventually(lambda: len(replies(slack, channel, ts)) == 2)
    assert "is placed" in replies(slack, channel, ts)[1]
    assert len(submitted_orders(simulator)) == 1


async def test_a_failing_submission_is_resumed_once_mobproc_is_back(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)
    simulator.state.add_fault("POST", r"/orders$", status=503)
    await approve(driver, channel, ts, check=False)
    await eventually(lambda: request_at(bot, channel, ts, RequestState.SUBMITTED), within=15)
    await eventually(lambda: len(replies(slack, channel, ts)) == 2)
    texts = replies(slack, channel, ts)
    assert "isn't answering" in texts[0] and "is placed" in texts[1]
    assert len(submitted_orders(simulator)) == 1


@pytest.mark.bot_settings(**SLOW_MOBPROC)
async def test_slow_mobproc_during_the_modal_keeps_the_input(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    """MobProc answers after Slack's 3 s, and refuses: the person first reads that it is
    being checked, then gets the form back with the refusal and their answers kept."""
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    values = fill_form(view)
    values["ADDITIONAL_INSTRUCTIONS"] = "left in a taxi"
    simulator.state.add_fault("POST", r"/orders$", delay=4.0, status=400)
    answer = await driver.submit_view(REQUESTER, view, values)
    assert "checking your order" in all_text(answer.json()["view"])
    shown = await slack.wait_for(lambda: slack.views[view["id"]]
                                 if "told to fail" in all_text(slack.views[view["id"]])
                                 else None)
    kept = next(b for b in shown["blocks"] if b.get("block_id") == "ADDITIONAL_INSTRUCTIONS")
    assert kept["element"]["initial_value"] == "left in a taxi"
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.state is RequestState.DRAFT


async def test_mobproc_outage_when_opening_the_form(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    simulator.state.add_fault("GET", r"/assets/services", status=503, times=10)
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    assert "isn't answering" in all_text(view) and "try again" in all_text(view)


async def test_slack_rate_limits_and_errors_lose_no_reply(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    _, channel, ts = await pending_order(driver, slack)
    slack.fail_next("chat.postMessage", status=429, retry_after=1, times=2)
    await approve(driver, channel, ts, check=False)
    await eventually(lambda: len(replies(slack, channel, ts)) == 1, within=15)
    slack.fail_next("chat.postMessage", error="internal_error", status=500, retry_after=None,
                    times=6)
    clock.advance(10)
    await eventually(lambda: _statuses_recorded(bot, channel, ts))
    clock.advance(10)
    await eventually(lambda: len(replies(slack, channel, ts)) == 3, within=20)
    texts = replies(slack, channel, ts)
    assert "is placed" in texts[0] and "In progress" in texts[1] and "Complete" in texts[2]
    await bot.follower.poll_once()
    assert len(replies(slack, channel, ts)) == 3


async def test_restart_between_opening_and_submitting_the_form(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI) -> None:
    first = await start_test_bot()
    view = await open_form(driver_for(first), slack, "/unsuspend-line", "415-555-0142")
    await first.stop()
    second = await start_test_bot()
    driver = driver_for(second)
    channel, ts = await submit_form(driver, slack, view)
    await eventually(lambda: request_at(second, channel, ts, RequestState.PENDING))


async def test_crash_between_posting_and_recording_the_approval_message(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    view, channel, ts = await pending_order(driver, slack)
    request_id = view["private_metadata"]
    # What a process killed right after chat.postMessage leaves: a message, no stored ts.
    await bot.ctx.repo.update_fields(request_id, approval_channel=None, approval_ts=None)
    await approve(driver, channel, ts, check=False)
    request = await eventually(lambda: request_at(bot, channel, ts, RequestState.SUBMITTED))
    assert request.id == request_id
    assert len(submitted_orders(simulator)) == 1


async def _pending(start_test_bot: BotFactory, driver_for: DriverFactory,
                   slack: FakeSlackWebAPI) -> tuple[RunningBot, str, str]:
    bot = await start_test_bot()
    driver = driver_for(bot)
    _, channel, ts = await pending_order(driver, slack)
    return bot, channel, ts


async def test_crash_after_the_decision_before_sending(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    first, channel, ts = await _pending(start_test_bot, driver_for, slack)
    request = await eventually(lambda: first.ctx.repo.get_by_message(channel, ts))
    # What a process killed right after recording the approval leaves behind.
    await first.ctx.repo.transition(request.id, [RequestState.PENDING], RequestState.APPROVED,
                                    decided_by=APPROVER)
    await first.stop()
    second = await start_test_bot()
    await eventually(lambda: request_at(second, channel, ts, RequestState.SUBMITTED), within=15)
    await eventually(lambda: replies(slack, channel, ts))
    assert len(submitted_orders(simulator)) == 1


async def test_crash_after_sending_before_recording(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    first, channel, ts = await _pending(start_test_bot, driver_for, slack)
    request = await eventually(lambda: first.ctx.repo.get_by_message(channel, ts))
    await first.ctx.repo.transition(request.id, [RequestState.PENDING],
                                    RequestState.SUBMITTING, decided_by=APPROVER)
    # The order reached MobProc, but the process died before storing the answer.
    order = OrderRequest(externalOrderNumber=request.external_order_number,
                         transactionType=request.transaction_type.value,
                         serviceId=request.service.id, properties=request.properties,
                         acknowledgements=[AcknowledgementValue(id=a)
                                           for a in request.acknowledged])
    placed = await first.ctx.orders.mobproc.submit_order(order, on_behalf_of=None)
    await first.stop()
    second = await start_test_bot()
    done = await eventually(lambda: request_at(second, channel, ts, RequestState.SUBMITTED),
                            within=15)
    assert done.order_id == placed.orderId
    assert len(submitted_orders(simulator)) == 1, "found by externalOrderNumber, not resent"


async def test_replies_queued_while_slack_was_down_go_out_after_a_restart(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        clock: Clock) -> None:
    first, channel, ts = await _pending(start_test_bot, driver_for, slack)
    driver = driver_for(first)
    slack.fail_next("chat.postMessage", error="internal_error", status=500, retry_after=None,
                    times=1000)
    slack.fail_next("chat.update", error="internal_error", status=500, retry_after=None,
                    times=1000)
    await approve(driver, channel, ts, check=False)
    await eventually(lambda: request_at(first, channel, ts, RequestState.SUBMITTED))
    clock.advance(10)
    await eventually(lambda: _statuses_recorded(first, channel, ts))
    await first.stop()
    assert replies(slack, channel, ts) == []
    slack._failures.clear()  # Slack is back
    second = await start_test_bot()
    await eventually(lambda: len(replies(slack, channel, ts)) == 2, within=15)
    texts = replies(slack, channel, ts)
    assert "is placed" in texts[0] and "In progress" in texts[1]
    await second.follower.poll_once()
    assert len(replies(slack, channel, ts)) == 2


async def _statuses_recorded(bot: RunningBot, channel: str, ts: str) -> bool:
    request = await bot.ctx.repo.get_by_message(channel, ts)
    return request is not None and request.order_status == "IN_PROGRESS"


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_no_secret_reaches_the_logs_at_debug(
        log_format: str, bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, clock: Clock) -> None:
    # What the real entry point gives its log filter; it must cover every secret in play.
    secrets = bot.settings.secret_values()
    assert set(secrets) >= {BOT_TOKEN, SIGNING_SECRET, simulator.config.client_secret,
                            simulator.config.password}
    stream = io.StringIO()
    handler = log_handler(secrets, log_format, stream)  # as the entry point makes it
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        _, channel, ts = await pending_order(driver, slack)
        await approve(driver, channel, ts, check=False)
        await eventually(lambda: replies(slack, channel, ts))
        clock.advance(10)
        await eventually(lambda: len(replies(slack, channel, ts)) == 2)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
    logged = stream.getvalue()
    assert "slack_sdk" in logged and "bot." in logged, "DEBUG logging was captured"
    if log_format == "json":
        assert all(json.loads(line)["logger"] for line in logged.splitlines())
    tokens = [t for t in simulator.state.tokens] + list(simulator.state.refresh_tokens)
    for secret in secrets + tokens:
        assert secret not in logged


async def test_killed_after_mobproc_placed_the_order_before_it_was_recorded(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, database_url: str, tmp_path: Path) -> None:
    first, channel, ts = await _pending(start_test_bot, driver_for, slack)
    await first.stop()  # from here on only the process below acts on the request
    process = await start_bot_process(bot_settings(simulator, slack, database_url),
                                      tmp_path)
    try:
        # MobProc places the order but is slow to answer; the bot is killed while it waits.
        simulator.state.add_fault("POST", r"/orders$", hold_after_processing=3.0)
        await approve(driver_for(process), channel, ts, check=False)
        await eventually(lambda: submitted_orders(simulator))
    finally:
        await process.kill()
    assert replies(slack, channel, ts) == [], "the killed bot never learnt of the order"

    second = await start_test_bot()
    request = await eventually(lambda: request_at(second, channel, ts, RequestState.SUBMITTED))
    await eventually(lambda: replies(slack, channel, ts))
    assert "is placed" in replies(slack, channel, ts)[0]
    assert len(submitted_orders(simulator)) == 1, "found by externalOrderNumber, not resent"
    assert request.order_id in simulator.state.orders


async def test_a_first_submission_does_not_depend_on_the_order_lookup(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    # The lookup by externalOrderNumber is an assumed endpoint: a tenant without it must
    # still get orders placed (the lookup only guards a resend).
    _, channel, ts = await pending_order(driver, slack)
    simulator.state.add_fault("GET", r"/orders$", status=404, times=1000)
    await approve(driver, channel, ts, check=False)
    request = await eventually(lambda: request_at(bot, channel, ts, RequestState.SUBMITTED))
    assert len(submitted_orders(simulator)) == 1
    assert request.order_id in simulator.state.orders
    assert simulator.state.faults[0].times == 1000, "the first submission looked it up"
