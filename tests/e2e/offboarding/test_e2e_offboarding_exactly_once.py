"""/offboard-lines posts its approval message once and places each line's order exactly
once: many clicks, Slack's retries and failures, two bot processes on one database, and a
crash between any two steps."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

from bot.demo import fill_form
from bot.domain import RequestState
from bot.offboarding.models import Offboarding, OffboardingState
from bot.phone import format_service_number
from bot.runtime import RunningBot
from bot.slack_standin.driver import SlackDriver, view_state
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from handlers.orders.view_state import form_input
from tests.conftest import (
    APPROVER,
    REQUESTER,
    BotFactory,
    Clock,
    DriverFactory,
    bot_settings,
)
from tests.support.flow import all_text, buttons, click_all, submitted_orders
from tests.support.offboarding_flow import (
    ALL_THREE,
    approval_messages,
    details_for,
    pending_offboarding,
)
from tests.support.processes import start_bot_process
from tests.support.slack_reading import ephemerals_saying, replies_saying


def _placed_once(simulator: Any) -> bool:
    numbers = Counter(p["body"]["orderRequest"]["externalOrderNumber"]
                      for p in submitted_orders(simulator))
    assert all(n == 1 for n in numbers.values()), numbers
    return len(numbers) == 3


async def test_many_concurrent_approvals_place_each_line_once(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    offboarding_id, channel, ts = await pending_offboarding(driver, slack)
    clickers = [APPROVER, "UAPPROVER2"] * 15
    answers = await click_all([driver], clickers, channel, ts, "approve_offboarding")
    assert all(a.status_code == 200 for a in answers)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    await eventually(lambda: _placed_once(simulator))
    await eventually(lambda: len(ephemerals_saying(slack, "already approved")) == 29)
    audit = await bot.ctx.repo.audit_since(simulator.state.clock().replace(year=2000))
    events = [a.event for a in audit if a.request_id == offboarding_id]
    assert events.count("approved") == 1 and events.count("refused_click") == 29
    await bot.follower.poll_once()
    assert _placed_once(simulator)


async def test_slack_retrying_a_click_changes_nothing(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    offboarding_id, channel, ts = await pending_offboarding(driver, slack)

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
    _, channel, ts = await pending_offboarding(driver, slack)
    other = await start_bot_process(bot_settings(simulator, slack, database_url), tmp_path)
    try:
        second = driver_for(other)
        await click_all([driver, second], [APPROVER, "UAPPROVER2"] * 4, channel, ts,
                        "approve_offboarding")
        await eventually(lambda: _placed_once(simulator), within=20)
        await eventually(lambda: len(ephemerals_saying(slack, "already approved")) == 15)
    finally:
        await other.stop()
    assert _placed_once(simulator)


async def test_crash_after_the_decision_before_any_line_moved(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: Any, clock: Clock) -> None:
    first = await start_test_bot()
    offboarding_id, channel, ts = await pending_offboarding(driver_for(first), slack)
    # What a process killed right after recording the approval leaves behind.
    await first.ctx.offboarding.repo.transition(
        offboarding_id, [OffboardingState.PENDING], OffboardingState.APPROVED,
        decided_by=APPROVER, decided_at=clock())
    await first.stop()
    clock.advance(_past_a_lease(first))  # the decision is older than a submission lease
    second = await start_test_bot()
    await eventually(lambda: _placed_once(simulator), within=15)
    await eventually(lambda: len(replies_saying(slack, channel, ts, "placed; status")) == 3)
    for _ in range(3):
        clock.advance(10)
    await eventually(lambda: replies_saying(slack, channel, ts, "All done"), within=15)
    await second.follower.poll_once()
    assert _placed_once(simulator)
    assert len(replies_saying(slack, channel, ts, "All done")) == 1


async def test_crash_after_some_lines_were_placed(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: Any, clock: Clock) -> None:
    first = await start_test_bot()
    offboarding_id, channel, ts = await pending_offboarding(driver_for(first), slack)
    await first.ctx.offboarding.repo.transition(
        offboarding_id, [OffboardingState.PENDING], OffboardingState.APPROVED,
        decided_by=APPROVER, decided_at=clock())
    orders = await first.ctx.offboarding.repo.orders(offboarding_id)
    # One line placed, one marked submitting whose answer was lost after MobProc placed it,
    # one never touched: then the process dies.
    await first.ctx.orders.repo.transition(orders[0].id, [RequestState.PENDING],
                                           RequestState.APPROVED, decided_by=APPROVER)
    await first.ctx.orders.submission.submit(orders[0].id)
    await first.ctx.orders.repo.transition(orders[1].id, [RequestState.PENDING],
                                           RequestState.APPROVED, decided_by=APPROVER)
    simulator.state.add_fault("POST", r"/orders$", drop_after_processing=True)
    await first.ctx.orders.submission.submit(orders[1].id)
    await first.stop()
    clock.advance(_past_a_lease(first))
    second = await start_test_bot()
    await eventually(lambda: _placed_once(simulator), within=15)
    untouched = format_service_number(orders[2].service.serviceNumber)
    await eventually(lambda: any(untouched in text for text in replies_saying(
        slack, channel, ts, "placed; status")), within=15)
    states = {o.state for o in await second.ctx.offboarding.repo.orders(offboarding_id)}
    assert states == {RequestState.SUBMITTED}


async def test_crash_between_confirming_and_posting_the_approval_message(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: Any) -> None:
    first = await start_test_bot()
    details = await details_for(driver_for(first), slack, ALL_THREE)
    offboarding_id = details["private_metadata"]

    async def dead(*_: Any) -> int:
        return 0

    # Confirmed with MobProc, pending and its message queued with that, but the process
    # dies before its outbox sends anything.
    first.ctx.outbox.deliver = dead  # type: ignore[method-assign]
    outcome = await first.ctx.offboarding.confirm(
        offboarding_id, form_input(view_state(details, fill_form(details))), "URequester")
    assert outcome.confirmed_now
    await first.stop()
    assert approval_messages(slack, offboarding_id) == []
    second = await start_test_bot()
    stored = await eventually(lambda: _with_message(second, offboarding_id), within=20)
    await driver_for(second).click_button(APPROVER, channel_id=stored.approval_channel,
                                          message_ts=stored.approval_ts,
                                          action_id="approve_offboarding")
    await eventually(lambda: _placed_once(simulator), within=15)
    await second.follower.poll_once()
    assert [m["ts"] for m in approval_messages(slack, offboarding_id)] == [stored.approval_ts]


async def _with_message(bot: RunningBot | Any, offboarding_id: str) -> Offboarding | None:
    """The request once its approval message is recorded (on it and on each of its lines)."""
    stored = await bot.ctx.offboarding.get(offboarding_id)
    if stored is None or stored.approval_ts is None:
        return None
    lines = await bot.ctx.offboarding.repo.orders(offboarding_id)
    assert {(o.approval_channel, o.approval_ts) for o in lines} == \
        {(stored.approval_channel, stored.approval_ts)}
    return stored


async def test_stopped_between_slack_accepting_the_post_and_recording_it(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: Any) -> None:
    """The bot dies in the instant after Slack accepted the approval message and before it
    was recorded. A second bot on the same database takes the queued call over, finds the
    message in the channel by its metadata and records it: one message, whose buttons act,
    and the requester gets its link."""
    first = await start_test_bot()
    details = await details_for(driver_for(first), slack, ALL_THREE)
    offboarding_id = details["private_metadata"]
    attempts: list[tuple[Any, ...]] = []

    async def dies_before_recording(*args: Any) -> None:
        attempts.append(args)
        raise RuntimeError("killed between Slack's answer and the database")

    first.ctx.offboarding.repo.approval_posted = dies_before_recording  # type: ignore[method-assign]
    answer = await driver_for(first).submit_view(REQUESTER, details, fill_form(details))
    assert answer.status_code == 200
    await eventually(lambda: attempts and len(approval_messages(slack, offboarding_id)) == 1,
                     within=15)
    await first.stop()
    assert (await first.ctx.offboarding.get(offboarding_id)).approval_ts is None  # type: ignore[union-attr]
    looked = len(slack.calls_to("conversations.history"))
    second = await start_test_bot()
    stored = await eventually(lambda: _with_message(second, offboarding_id), within=20)
    assert [m["ts"] for m in approval_messages(slack, offboarding_id)] == [stored.approval_ts]
    assert len(slack.calls_to("conversations.history")) > looked  # the second bot looked
    await eventually(lambda: any(c.ok and c.args.get("user") == REQUESTER and
                                 "waiting for an approver" in c.args.get("text", "")
                                 for c in slack.calls_to("chat.postEphemeral")))
    await driver_for(second).click_button(APPROVER, channel_id=stored.approval_channel,
                                          message_ts=stored.approval_ts,
                                          action_id="approve_offboarding")
    await eventually(lambda: _placed_once(simulator), within=15)
    await second.follower.poll_once()
    assert len(approval_messages(slack, offboarding_id)) == 1


async def test_many_submits_of_the_details_post_one_approval_message(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    """The requester presses Submit again and again while MobProc checks the lines: one
    request goes for approval, with one message."""
    details = await details_for(driver, slack, ALL_THREE)
    offboarding_id = details["private_metadata"]
    simulator.state.add_fault("POST", r"/orders$", delay=1.0, times=6)
    answers = await asyncio.gather(*(driver.submit_view(REQUESTER, details,
                                                        fill_form(details))
                                     for _ in range(8)))
    assert all(a.status_code == 200 for a in answers)
    stored = await eventually(lambda: _with_message(bot, offboarding_id), within=20)
    await bot.follower.poll_once()
    await bot.follower.poll_once()
    assert [m["ts"] for m in approval_messages(slack, offboarding_id)] == [stored.approval_ts]
    assert stored.state is OffboardingState.PENDING


async def test_two_bot_processes_post_a_request_left_without_its_message_once(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: Any, database_url: str, tmp_path: Path) -> None:
    """A request an older version (which posted the message itself) left pending with no
    message and nothing queued: two bot processes on the one database repair it, and the
    message is posted once; its buttons work."""
    first = await start_test_bot()
    details = await details_for(driver_for(first), slack, ALL_THREE)
    offboarding_id = details["private_metadata"]
    real = first.ctx.offboarding.repo.transition

    async def as_an_older_version(*args: Any, queue_once: Any = None, **kwargs: Any) -> bool:
        return await real(*args, **kwargs)

    first.ctx.offboarding.repo.transition = as_an_older_version  # type: ignore[method-assign]
    outcome = await first.ctx.offboarding.confirm(
        offboarding_id, form_input(view_state(details, fill_form(details))), REQUESTER)
    assert outcome.confirmed_now
    await first.stop()
    settings = bot_settings(simulator, slack, database_url)
    processes = [await start_bot_process(settings, tmp_path),
                 await start_bot_process(settings, tmp_path)]
    try:
        stored = await eventually(lambda: _with_message(first, offboarding_id), within=30)
        await driver_for(processes[1]).click_button(
            APPROVER, channel_id=stored.approval_channel, message_ts=stored.approval_ts,
            action_id="approve_offboarding")
        await eventually(lambda: _placed_once(simulator), within=20)
        await eventually(lambda: len(replies_saying(
            slack, stored.approval_channel, stored.approval_ts, "placed; status")) == 3,
            within=20)
    finally:
        for process in processes:
            await process.stop()
    assert [m["ts"] for m in approval_messages(slack, offboarding_id)] == [stored.approval_ts]


async def test_slack_failing_for_a_while_delays_the_approval_message_only(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    """Server errors and 429s beyond the Slack client's own retries: the request stays
    pending and its message goes out once Slack answers; it is never cancelled."""
    details = await details_for(driver, slack, ALL_THREE)
    offboarding_id = details["private_metadata"]
    slack.fail_next("chat.postMessage", error="internal_error", status=500,
                    retry_after=None, times=4)
    slack.fail_next("chat.postMessage", status=429, retry_after=1, times=5)
    answer = await driver.submit_view(REQUESTER, details, fill_form(details))
    assert answer.status_code == 200
    stored = await eventually(lambda: _with_message(bot, offboarding_id), within=30)
    assert stored.state is OffboardingState.PENDING
    assert [m["ts"] for m in approval_messages(slack, offboarding_id)] == [stored.approval_ts]
    failed = [c for c in slack.calls_to("chat.postMessage") if not c.ok]
    assert {c.error for c in failed} == {"internal_error", "ratelimited"}
    assert not any("couldn't post" in all_text(c.args) for c in slack.calls)


async def test_a_permanent_refusal_cancels_the_request_and_tells_the_matching_fix(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: Any) -> None:
    for channel, fix in (("CNOTMEMBER", "/invite @mobproc-bot"),
                         ("CGONE", "APPROVAL_CHANNEL")):
        bot = await start_test_bot(APPROVAL_CHANNEL=channel)
        driver = driver_for(bot)
        details = await details_for(driver, slack, ALL_THREE)
        offboarding_id = details["private_metadata"]
        await driver.submit_view(REQUESTER, details, fill_form(details))
        notice = await slack.wait_for(lambda fix=fix: next(  # type: ignore[misc]
            (c for c in slack.calls if c.method in ("chat.postEphemeral", "chat.postMessage")
             and c.ok and c.args.get("user", c.args.get("channel")) == REQUESTER
             and "couldn't post your request" in all_text(c.args)
             and fix in all_text(c.args)), None))
        assert "nothing was ordered" in all_text(notice.args)
        stored = await bot.ctx.offboarding.get(offboarding_id)
        assert stored is not None and stored.state is OffboardingState.CANCELLED
        lines = await bot.ctx.offboarding.repo.orders(offboarding_id)
        assert {o.state for o in lines} == {RequestState.CANCELLED}
        await bot.follower.poll_once()  # the repair leaves a refused request alone
        assert len([c for c in slack.calls if "couldn't post your request" in all_text(c.args)
                    and fix in all_text(c.args)]) == 1
        await bot.stop()
    assert submitted_orders(simulator) == []


async def test_an_undecided_request_expires_and_orders_nothing(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: Any, clock: Clock) -> None:
    bot = await start_test_bot(APPROVAL_TTL_HOURS=1)
    driver = driver_for(bot)
    offboarding_id, channel, ts = await pending_offboarding(driver, slack)
    clock.past(3601)
    await eventually(lambda: replies_saying(slack, channel, ts, "expired"))
    await eventually(lambda: "Expired" in all_text(slack.messages[(channel, ts)]))
    assert not buttons(slack.messages[(channel, ts)])
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding", value=offboarding_id)
    await eventually(lambda: any("already expired" in all_text(c.args)
                                 for c in slack.calls_to("chat.postEphemeral")))
    assert submitted_orders(simulator) == []
    states = {o.state for o in await bot.ctx.offboarding.repo.orders(offboarding_id)}
    assert states == {RequestState.EXPIRED}


def _past_a_lease(bot: RunningBot) -> float:
    """Seconds that make a decision older than a submission's lease."""
    return bot.ctx.orders.submission.lease.total_seconds() + 1
