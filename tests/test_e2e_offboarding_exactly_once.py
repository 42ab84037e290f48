"""/offboard-lines places each line's order exactly once: many clicks, Slack's retries,
two bot processes on one database, and a crash between any two steps."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

from bot.demo import fill_form
from bot.domain import RequestState
from bot.offboarding_models import OffboardingState
from bot.phone import format_service_number
from bot.runtime import RunningBot
from bot.slack_standin.driver import SlackDriver, view_state
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from handlers.view_state import form_input
from tests.conftest import APPROVER, BotFactory, Clock, DriverFactory, bot_settings
from tests.flow import all_text, buttons, submitted_orders
from tests.offboarding_flow import ALL_THREE, details_for, send_for_approval
from tests.processes import start_bot_process


def _placed_once(simulator: Any) -> bool:
    numbers = Counter(p["body"]["orderRequest"]["externalOrderNumber"]
                      for p in submitted_orders(simulator))
    assert all(n == 1 for n in numbers.values()), numbers
    return len(numbers) == 3


async def _pending(driver: SlackDriver, slack: FakeSlackWebAPI) -> tuple[str, str, str]:
    details = await details_for(driver, slack, ALL_THREE)
    channel, ts = await send_for_approval(driver, slack, details)
    return details["private_metadata"], channel, ts


async def test_many_concurrent_approvals_place_each_line_once(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    offboarding_id, channel, ts = await _pending(driver, slack)
    clickers = [APPROVER, "UAPPROVER2"] * 15
    answers = await asyncio.gather(*(
        driver.click_button(user, channel_id=channel, message_ts=ts,
                            action_id="approve_offboarding") for user in clickers))
    assert all(a.status_code == 200 for a in answers)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    await eventually(lambda: _placed_once(simulator))
    await eventually(lambda: len([c for c in slack.calls_to("chat.postEphemeral")
                                  if "already approved" in all_text(c.args)]) == 29)
    audit = await bot.ctx.repo.audit_since(simulator.state.clock().replace(year=2000))
    events = [a.event for a in audit if a.request_id == offboarding_id]
    assert events.count("approved") == 1 and events.count("refused_click") == 29
    await bot.follower.poll_once()
    assert _placed_once(simulator)


async def test_slack_retrying_a_click_changes_nothing(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    offboarding_id, channel, ts = await _pending(driver, slack)

    def updates() -> int:
        return sum(c.method == "chat.update" for c in slack.calls)

    updated = updates()
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    await eventually(lambda: _placed_once(simulator))
    # The first click's listener ends by updating the message: count only what follows it.
    await eventually(lambda: updates() > updated)
    before = len(slack.calls)
    # Slack resends the original payload, button value and all, even after the update.
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding", value=offboarding_id,
                              retry_num=1)
    await bot.follower.poll_once()
    assert not [c.args for c in slack.calls[before:] if c.method == "chat.postEphemeral"]
    assert _placed_once(simulator)


async def test_two_bot_processes_on_one_database_place_each_line_once(
        bot: RunningBot, driver: SlackDriver, driver_for: DriverFactory,
        slack: FakeSlackWebAPI, simulator: Any, database_url: str, tmp_path: Path) -> None:
    _, channel, ts = await _pending(driver, slack)
    other = await start_bot_process(bot_settings(simulator, slack, database_url), tmp_path)
    try:
        second = driver_for(other)
        clicks = [d.click_button(user, channel_id=channel, message_ts=ts,
                                 action_id="approve_offboarding")
                  for d in (driver, second) for user in (APPROVER, "UAPPROVER2") * 4]
        await asyncio.gather(*clicks)
        await eventually(lambda: _placed_once(simulator), within=20)
        await eventually(lambda: len([c for c in slack.calls_to("chat.postEphemeral")
                                      if "already approved" in all_text(c.args)]) == 15)
    finally:
        await other.stop()
    assert _placed_once(simulator)


async def test_crash_after_the_decision_before_any_line_moved(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: Any, clock: Clock) -> None:
    first = await start_test_bot()
    offboarding_id, channel, ts = await _pending(driver_for(first), slack)
    # What a process killed right after recording the approval leaves behind.
    await first.ctx.offboarding.repo.transition(
        offboarding_id, [OffboardingState.PENDING], OffboardingState.APPROVED,
        decided_by=APPROVER, decided_at=clock())
    await first.stop()
    clock.advance(1)  # the decision is older than a submission lease
    second = await start_test_bot()
    await eventually(lambda: _placed_once(simulator), within=15)
    await eventually(lambda: len([r for r in slack.thread_replies(channel, ts)
                                  if "placed; status" in r["text"]]) == 3)
    for _ in range(3):
        clock.advance(10)
    await eventually(lambda: any("All done" in r["text"]
                                 for r in slack.thread_replies(channel, ts)), within=15)
    await second.follower.poll_once()
    assert _placed_once(simulator)
    assert len([r for r in slack.thread_replies(channel, ts) if "All done" in r["text"]]) == 1


async def test_crash_after_some_lines_were_placed(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: Any, clock: Clock) -> None:
    first = await start_test_bot()
    offboarding_id, channel, ts = await _pending(driver_for(first), slack)
    await first.ctx.offboarding.repo.transition(
        offboarding_id, [OffboardingState.PENDING], OffboardingState.APPROVED,
        decided_by=APPROVER, decided_at=clock())
    orders = await first.ctx.offboarding.repo.orders(offboarding_id)
    # One line placed, one marked submitting whose answer was lost after MobProc placed it,
    # one never touched: then the process dies.
    await first.ctx.orders.repo.transition(orders[0].id, [RequestState.DRAFT],
                                           RequestState.APPROVED, decided_by=APPROVER)
    await first.ctx.orders.submission.submit(orders[0].id)
    await first.ctx.orders.repo.transition(orders[1].id, [RequestState.DRAFT],
                                           RequestState.APPROVED, decided_by=APPROVER)
    simulator.state.add_fault("POST", r"/orders$", drop_after_processing=True)
    await first.ctx.orders.submission.submit(orders[1].id)
    await first.stop()
    clock.advance(1)
    second = await start_test_bot()
    await eventually(lambda: _placed_once(simulator), within=15)
    untouched = format_service_number(orders[2].service.serviceNumber)
    await eventually(lambda: any(untouched in r["text"] and "placed; status" in r["text"]
                                 for r in slack.thread_replies(channel, ts)), within=15)
    states = {o.state for o in await second.ctx.offboarding.repo.orders(offboarding_id)}
    assert states == {RequestState.SUBMITTED}


async def test_crash_between_confirming_and_posting_the_approval_message(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: Any) -> None:
    first = await start_test_bot()
    details = await details_for(driver_for(first), slack, ALL_THREE)
    offboarding_id = details["private_metadata"]
    # Confirmed with MobProc and pending, but the process dies before posting the message.
    outcome = await first.ctx.offboarding.confirm(
        offboarding_id, form_input(view_state(details, fill_form(details))), "URequester")
    assert outcome.confirmed_now
    await first.stop()
    second = await start_test_bot()
    posted = await eventually(lambda: next(
        (c for c in slack.calls_to("chat.postMessage")
         if c.ok and c.args.get("channel") == "CAPPROVALS" and "Approve" in all_text(c.args)),
        None), within=20)
    channel, ts = posted.response["channel"], posted.response["ts"]
    await driver_for(second).click_button(APPROVER, channel_id=channel, message_ts=ts,
                                          action_id="approve_offboarding")
    await eventually(lambda: _placed_once(simulator), within=15)
    await second.follower.poll_once()
    approval_posts = [c for c in slack.calls_to("chat.postMessage")
                      if c.args.get("channel") == "CAPPROVALS" and not c.args.get("thread_ts")]
    assert len(approval_posts) == 1


async def test_an_undecided_request_expires_and_orders_nothing(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: Any, clock: Clock) -> None:
    bot = await start_test_bot(APPROVAL_TTL_HOURS=1)
    driver = driver_for(bot)
    offboarding_id, channel, ts = await _pending(driver, slack)
    clock.advance(3601)
    await eventually(lambda: any("expired" in r["text"]
                                 for r in slack.thread_replies(channel, ts)))
    await eventually(lambda: "Expired" in all_text(slack.messages[(channel, ts)]))
    assert not buttons(slack.messages[(channel, ts)])
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding", value=offboarding_id)
    await eventually(lambda: any("already expired" in all_text(c.args)
                                 for c in slack.calls_to("chat.postEphemeral")))
    assert submitted_orders(simulator) == []
    states = {o.state for o in await bot.ctx.offboarding.repo.orders(offboarding_id)}
    assert states == {RequestState.EXPIRED}
