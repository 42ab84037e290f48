"""End to end: signed Slack requests to the bot's real HTTP server, the fake Slack Web API
(which refuses Block Kit violations) and the MobProc simulator."""

from __future__ import annotations

import pytest

from bot.demo import fill_form
from bot.domain import ORDER_KINDS, RequestState, humanize_status
from bot.mobproc.models import TransactionType
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import (
    APPROVER,
    OTHER,
    REQUESTER,
    BotFactory,
    Clock,
    DriverFactory,
)
from tests.support.flow import (
    all_text,
    approved_order,
    buttons,
    open_form,
    pending_order,
    submit_form,
    submitted_orders,
)
from tests.support.slack_reading import dms_to, replies
from tests.support.waiting import request_in

LINES = {
    TransactionType.SUSPEND: "404-555-3104 lost at the airport",
    TransactionType.UNSUSPEND: "(415) 555-0142",
    TransactionType.DEACTIVATE: "+1 212 555 0123",
    TransactionType.XFER_SERVICE_OUT: "415.555.0199",
}


@pytest.mark.parametrize("transaction_type", list(TransactionType))
async def test_order_from_slash_command_to_final_status(
        transaction_type: TransactionType, bot: RunningBot, driver: SlackDriver,
        slack: FakeSlackWebAPI, simulator: RunningSimulator, clock: Clock) -> None:
    kind = ORDER_KINDS[transaction_type]
    view = await open_form(driver, slack, kind.command, LINES[transaction_type])

    # The form asks for exactly MobProc's properties for this line and order type.
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.state is RequestState.DRAFT
    wanted = {d.id for d in request.definitions}
    inputs = {b["block_id"] for b in view["blocks"] if b["type"] == "input"}
    assert wanted <= inputs
    if transaction_type is TransactionType.XFER_SERVICE_OUT:
        assert "acknowledgements" in inputs

    channel, ts = await submit_form(driver, slack, view)
    message = slack.messages[(channel, ts)]
    assert [b["text"]["text"] for b in buttons(message)] == ["Approve", "Cancel"]
    assert request.service.serviceNumber[-4:] in all_text(message)
    assert not submitted_orders(simulator), "nothing may be ordered before approval"
    # The requester is told where the request waits.
    await eventually(lambda: any(c.ok and c.args.get("user") == REQUESTER
                                 for c in slack.calls_to("chat.postEphemeral")))

    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    placed = await eventually(lambda: bot.ctx.repo.get_by_message(channel, ts))
    placed = await eventually(lambda: request_in(bot, placed.id, RequestState.SUBMITTED))
    assert placed.order_id
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    assert placed.order_id in all_text(slack.messages[(channel, ts)])
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 1)

    # One thread reply per status change, until the final one.
    clock.advance(10)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 2)
    assert humanize_status("IN_PROGRESS") in all_text(slack.thread_replies(channel, ts)[1])
    clock.advance(10)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 3)
    assert humanize_status("COMPLETE") in all_text(slack.thread_replies(channel, ts)[2])
    done = await eventually(lambda: request_in(bot, placed.id, RequestState.COMPLETED))
    assert done.order_status == "COMPLETE"

    clock.advance(60)  # nothing more is posted once the order is final
    await bot.follower.poll_once()
    assert len(slack.thread_replies(channel, ts)) == 3
    assert len(submitted_orders(simulator)) == 1


async def test_cancel_by_requester_orders_nothing(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)
    await driver.click_button(REQUESTER, channel_id=channel, message_ts=ts,
                              action_id="cancel_request")
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    assert "Cancelled" in all_text(slack.messages[(channel, ts)])
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.state is RequestState.CANCELLED
    assert request.decided_by == REQUESTER
    await eventually(lambda: slack.thread_replies(channel, ts))
    # A later Approve changes nothing and tells the clicker why.
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request", value=request.id)
    await eventually(lambda: any(c.args.get("user") == APPROVER
                                 for c in slack.calls_to("chat.postEphemeral")))
    await bot.follower.poll_once()
    assert not submitted_orders(simulator)
    assert (await bot.ctx.repo.get(request.id)).state is RequestState.CANCELLED  # type: ignore[union-attr]


async def test_someone_else_clicking_gets_an_explanation_and_nothing_changes(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)
    before = dict(slack.messages[(channel, ts)])
    updates = len(slack.calls_to("chat.update"))
    for action in ("approve_request", "cancel_request"):
        await driver.click_button(OTHER, channel_id=channel, message_ts=ts, action_id=action)
    notices = await eventually(lambda: [c for c in slack.calls_to("chat.postEphemeral")
                                        if c.args.get("user") == OTHER] or None)
    await eventually(lambda: len([c for c in slack.calls_to("chat.postEphemeral")
                                  if c.args.get("user") == OTHER]) == 2)
    assert "approver" in all_text(notices[0].args).lower()
    # The requester is no approver either.
    await driver.click_button(REQUESTER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    await eventually(lambda: any(c.args.get("user") == REQUESTER and "approver" in
                                 all_text(c.args) for c in slack.calls_to("chat.postEphemeral")))
    assert slack.messages[(channel, ts)] == before
    assert len(slack.calls_to("chat.update")) == updates
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.state is RequestState.PENDING
    assert not submitted_orders(simulator)


async def test_an_approver_cannot_approve_their_own_request(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    bot = await start_test_bot(APPROVERS=f"{REQUESTER},{APPROVER}")
    driver = driver_for(bot)
    _, channel, ts = await pending_order(driver, slack)
    await driver.click_button(REQUESTER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    notice = await eventually(lambda: next(
        (c for c in slack.calls_to("chat.postEphemeral") if c.args.get("user") == REQUESTER
         and "own" in all_text(c.args)), None))
    assert notice.ok
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.state is RequestState.PENDING
    assert not submitted_orders(simulator)


async def test_a_user_group_member_can_approve(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)
    await driver.click_button("UAPPROVER2", channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    await eventually(lambda: submitted_orders(simulator))
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))


async def test_restart_between_confirmation_and_approval_loses_nothing(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, clock: Clock) -> None:
    first = await start_test_bot()
    driver = driver_for(first)
    view = await open_form(driver, slack, "/deactivate-line", "212-555-0123")
    channel, ts = await submit_form(driver, slack, view)
    await first.stop()

    second = await start_test_bot()
    driver = driver_for(second)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 1)
    clock.advance(10)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 2)
    orders = submitted_orders(simulator)
    assert len(orders) == 1
    request = await second.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.order_id


async def test_statuses_passed_between_two_polls_are_still_reported(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    _, channel, ts = await approved_order(driver, slack)
    await bot.follower.stop()  # no polling while the order moves through two statuses
    clock.advance(25)
    await bot.follower.poll_once()
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 3)
    texts = replies(slack, channel, ts)
    assert "In progress" in texts[1] and "Complete" in texts[2]


async def test_without_an_approval_channel_the_request_stays_where_it_was_asked(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    bot = await start_test_bot(APPROVAL_CHANNEL="")
    driver = driver_for(bot)
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104",
                           channel="CGENERAL")
    await driver.submit_view(REQUESTER, view, fill_form(view))
    request = await eventually(lambda: _attached(bot, view["private_metadata"]))
    assert request.approval_channel == "CGENERAL"

    # A channel the bot can't post in: the requester is told, nothing waits in vain.
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104",
                           channel="CNOTMEMBER")
    await driver.submit_view(REQUESTER, view, fill_form(view))
    notice = await eventually(lambda: dms_to(slack, REQUESTER))
    assert "couldn't post your request" in notice[0]
    stuck = await bot.ctx.repo.get(view["private_metadata"])
    assert stuck is not None and stuck.state is RequestState.CANCELLED
    assert not submitted_orders(simulator)


async def _attached(bot: RunningBot, request_id: str):  # type: ignore[no-untyped-def]
    request = await bot.ctx.repo.get(request_id)
    return request if request and request.approval_ts else None
