"""Orders that can't be undone may need two approvers (APPROVALS_REQUIRED): each approver
counts once, never the requester, any approver's Cancel ends the request, and the order is
placed once, at the last approval, however many clicks in however many bot processes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.domain import RequestState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import (
    APPROVER,
    REQUESTER,
    BotFactory,
    Clock,
    DriverFactory,
    bot_settings,
)
from tests.support.flow import all_text, approve, buttons, pending_order, submitted_orders
from tests.support.home import home_buttons, open_home
from tests.support.offboarding_flow import ALL_THREE, details_for, send_for_approval
from tests.support.processes import start_bot_process
from tests.support.slack_reading import ephemerals_to, replies, replies_saying

SECOND = "UAPPROVER2"  # an approver through the SAPPROVERS user group
TWO = pytest.mark.bot_settings(APPROVALS_REQUIRED="SUSPEND=2,DEACTIVATE=2")


async def first_approval(bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
                         command: str = "/suspend-line", text: str = "404-555-3104"
                         ) -> tuple[str, str, str]:
    """A request approved by APPROVER, one approval short: (request id, channel, ts)."""
    view, channel, ts = await pending_order(driver, slack, command=command, text=text)
    await approve(driver, channel, ts, user=APPROVER)
    await eventually(lambda: "1 more approval needed" in all_text(slack.messages[(channel, ts)]))
    await eventually(lambda: slack.thread_replies(channel, ts))  # and the thread's news
    return view["private_metadata"], channel, ts


@TWO
async def test_the_first_approval_shows_one_of_two_and_places_nothing(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    view, channel, ts = await pending_order(driver, slack)
    assert "Needs 2 approvers" in all_text(slack.messages[(channel, ts)])
    await approve(driver, channel, ts, user=APPROVER)
    await eventually(lambda: "1 more approval needed" in all_text(slack.messages[(channel, ts)]))
    message = slack.messages[(channel, ts)]
    assert f"Approved by <@{APPROVER}> — 1 more approval needed" in all_text(message)
    assert [b["text"]["text"] for b in buttons(message)] == ["Approve", "Cancel"]
    news = await eventually(lambda: replies(slack, channel, ts))
    assert news == [f"Approved by <@{APPROVER}>; one more approver needed."]
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.state is RequestState.PENDING
    assert submitted_orders(simulator) == []
    audit = await bot.ctx.repo.audit_since(request.created_at)
    assert [(e.actor, e.event, e.detail) for e in audit if e.event.startswith("approv")] == [
        (APPROVER, "approval", {"approvals": 1, "required": 2})]


@TWO
async def test_the_same_approver_twice_is_refused_and_changes_nothing(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    request_id, channel, ts = await first_approval(bot, driver, slack)
    before = dict(slack.messages[(channel, ts)])
    replies_before = len(slack.thread_replies(channel, ts))
    await approve(driver, channel, ts, user=APPROVER)
    notice = await eventually(lambda: ephemerals_to(slack, APPROVER))
    assert "You have already approved it; it still waits for 1 more approver" in notice[-1]
    await bot.ctx.outbox.deliver()
    assert slack.messages[(channel, ts)] == before
    assert len(slack.thread_replies(channel, ts)) == replies_before
    assert (await bot.ctx.orders.approvals.approvers([request_id])) == {
        request_id: (APPROVER,)}
    request = await bot.ctx.repo.get(request_id)
    assert request is not None and request.state is RequestState.PENDING
    assert submitted_orders(simulator) == []


@pytest.mark.bot_settings(APPROVALS_REQUIRED="SUSPEND=2", ALLOW_SELF_APPROVAL=True,
                          APPROVERS=f"{APPROVER},SAPPROVERS,{REQUESTER}")
async def test_the_requester_never_counts(bot: RunningBot, driver: SlackDriver,
                                          slack: FakeSlackWebAPI) -> None:
    # The requester is an approver here, and may approve their own single-approver orders.
    request_id, channel, ts = await first_approval(bot, driver, slack)
    await approve(driver, channel, ts, user=REQUESTER)
    await eventually(lambda: any("needs 2 approvers other than you" in t
                                 for t in ephemerals_to(slack, REQUESTER)))
    request = await bot.ctx.repo.get(request_id)
    assert request is not None and request.state is RequestState.PENDING
    assert (await bot.ctx.orders.approvals.approvers([request_id]))[request_id] == (APPROVER,)


@TWO
async def test_a_second_approver_places_the_order_once(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    request_id, channel, ts = await first_approval(bot, driver, slack)
    await approve(driver, channel, ts, user=SECOND)
    await eventually(lambda: len(submitted_orders(simulator)) == 1)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    request = await bot.ctx.repo.get(request_id)
    assert request is not None and request.decided_by == SECOND
    await approve(driver, channel, ts, user=APPROVER, value=request_id)  # late: changes nothing
    await eventually(lambda: any("already" in t for t in ephemerals_to(slack, APPROVER)))
    assert len(submitted_orders(simulator)) == 1
    audit = await bot.ctx.repo.audit_since(request.created_at)
    assert [(e.actor, e.event) for e in audit if e.event.startswith("approv")] == [
        (APPROVER, "approval"), (SECOND, "approved")]


@TWO
async def test_cancel_after_one_approval_orders_nothing(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    request_id, channel, ts = await first_approval(bot, driver, slack)
    await driver.click_button(SECOND, channel_id=channel, message_ts=ts,
                              action_id="cancel_request")
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    assert f"Cancelled by <@{SECOND}>" in all_text(slack.messages[(channel, ts)])
    await approve(driver, channel, ts, user=SECOND, value=request_id)
    await eventually(lambda: any("cancelled" in t for t in ephemerals_to(slack, SECOND)))
    request = await bot.ctx.repo.get(request_id)
    assert request is not None and request.state is RequestState.CANCELLED
    assert submitted_orders(simulator) == []


@pytest.mark.bot_settings(APPROVALS_REQUIRED="DEACTIVATE=2")
async def test_only_the_configured_types_need_two(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)  # a suspension: one approver
    await approve(driver, channel, ts, user=APPROVER)
    await eventually(lambda: len(submitted_orders(simulator)) == 1)
    _, channel, ts = await pending_order(driver, slack, command="/deactivate-line",
                                         text="212-555-0123")
    await approve(driver, channel, ts, user=APPROVER)
    await eventually(lambda: "1 more approval needed" in all_text(slack.messages[(channel, ts)]))
    assert len(submitted_orders(simulator)) == 1


async def test_twenty_clicks_by_two_approvers_in_two_processes_place_one_order(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, database_url: str, tmp_path: Path) -> None:
    bot = await start_test_bot(APPROVALS_REQUIRED="SUSPEND=2")
    driver = driver_for(bot)
    view, channel, ts = await pending_order(driver, slack)
    other = await start_bot_process(bot_settings(simulator, slack, database_url,
                                                 APPROVALS_REQUIRED="SUSPEND=2"), tmp_path)
    try:
        second = driver_for(other)
        clicks = [d.click_button(user, channel_id=channel, message_ts=ts,
                                 action_id="approve_request")
                  for d in (driver, second) for user in (APPROVER, SECOND) * 5]
        await asyncio.gather(*clicks)
        await eventually(lambda: len(submitted_orders(simulator)) == 1)
        # Every click but the two that counted is told why nothing changed.
        await eventually(lambda: len(slack.calls_to("chat.postEphemeral")) >= 1 + 18)
    finally:
        await other.stop()
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.state is not RequestState.PENDING
    assert len(submitted_orders(simulator)) == 1
    audit = await bot.ctx.repo.audit_since(request.created_at)
    counted = [e for e in audit if e.event in ("approval", "approved")]
    assert [e.event for e in counted] == ["approval", "approved"]
    assert {e.actor for e in counted} == {APPROVER, SECOND}


@TWO
async def test_a_bundle_with_a_deactivation_needs_two(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    details = await details_for(driver, slack, ALL_THREE)
    channel, ts = await send_for_approval(driver, slack, details)
    assert "Needs 2 approvers" in all_text(slack.messages[(channel, ts)])
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    await eventually(lambda: "1 more approval needed" in all_text(slack.messages[(channel, ts)]))
    assert [b["text"]["text"] for b in buttons(slack.messages[(channel, ts)])] == [
        "Approve", "Cancel"]
    await eventually(lambda: replies_saying(slack, channel, ts, "one more approver needed"))
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    await eventually(lambda: any("already approved" in t
                                 for t in ephemerals_to(slack, APPROVER)))
    assert submitted_orders(simulator) == []
    await driver.click_button(SECOND, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    await eventually(lambda: len(submitted_orders(simulator)) == 3)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))


@pytest.mark.bot_settings(APPROVALS_REQUIRED="SUSPEND=2")
async def test_a_bundle_of_one_approver_types_needs_one(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    details = await details_for(driver, slack, {"41000101": "XFER_SERVICE_OUT",
                                                "41000102": "DEACTIVATE"})
    channel, ts = await send_for_approval(driver, slack, details)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    await eventually(lambda: len(submitted_orders(simulator)) == 2)


@TWO
async def test_home_shows_a_request_you_approved_without_your_approve_button(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    request_id, _, _ = await first_approval(bot, driver, slack)
    mine = await open_home(driver, slack, APPROVER)
    assert "Approved by you · waiting for another approver" in all_text(mine)
    assert [b["value"] for b in home_buttons(mine, "home_approve")] == []
    assert [b["value"] for b in home_buttons(mine, "home_cancel")] == [request_id]
    theirs = await open_home(driver, slack, SECOND)
    assert f"Approved by <@{APPROVER}> · 1 more approval needed" in all_text(theirs)
    assert [b["value"] for b in home_buttons(theirs, "home_approve")] == [request_id]


@TWO
async def test_reminders_say_how_many_approvals_are_still_needed(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        clock: Clock) -> None:
    bot = await start_test_bot(APPROVALS_REQUIRED="SUSPEND=2", REMINDER_HOURS=24,
                               APPROVAL_TTL_HOURS=200)
    driver = driver_for(bot)
    _, channel, ts = await first_approval(bot, driver, slack)
    clock.advance(25 * 3600)
    reminder = await eventually(lambda: next(
        iter(replies_saying(slack, channel, ts, "reminder")), None))
    assert f"Approved by <@{APPROVER}>: 1 more approval needed." in reminder
