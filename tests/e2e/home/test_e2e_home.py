"""The App Home tab for a requester and for an approver, and approving from it."""

from __future__ import annotations

import asyncio

import pytest

from bot.demo import fill_form
from bot.domain import RequestState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, OTHER, REQUESTER, Clock
from tests.support.flow import (
    all_text,
    buttons,
    open_form,
    pending_order,
    submit_form,
    submitted_orders,
)
from tests.support.home import home_buttons, home_of, open_home
from tests.support.slack_reading import dms_to
from tests.support.waiting import request_in


async def test_requester_and_approver_homes_and_approving_from_home(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    empty = await open_home(driver, slack, REQUESTER)
    assert "no line orders yet" in all_text(empty)
    assert "Waiting for your decision" not in all_text(empty)  # not an approver

    view, channel, ts = await pending_order(driver, slack)
    request_id = view["private_metadata"]

    mine = await open_home(driver, slack, REQUESTER)
    assert "(404) 555-3104" in all_text(mine) and "Pending" in all_text(mine)
    assert "|thread>" in all_text(mine)

    approver_home = await open_home(driver, slack, APPROVER)
    approve = home_buttons(approver_home, "home_approve")
    assert [b["value"] for b in approve] == [request_id]
    assert home_buttons(approver_home, "home_cancel")[0]["value"] == request_id

    await driver.click_view_button(APPROVER, approver_home, "home_approve", request_id)
    request = await eventually(lambda: request_in(bot, request_id, RequestState.SUBMITTED))
    assert len(submitted_orders(simulator)) == 1
    # Same path as the message button: the approval message and its thread are updated.
    await eventually(lambda: slack.thread_replies(channel, ts))
    assert request.order_id and request.order_id in all_text(slack.messages[(channel, ts)])
    # Both homes were refreshed: nothing waits any more; the requester sees the order.
    await eventually(lambda: not home_buttons(home_of(slack, APPROVER) or {},
                                              "home_approve"))
    await eventually(lambda: request.order_id in all_text(home_of(slack, REQUESTER) or {}))
    assert "Latest decisions" in all_text(home_of(slack, APPROVER) or {})

    # A second click from a stale Home changes nothing and says why.
    await driver.click_view_button("UAPPROVER2", approver_home, "home_approve", request_id)
    told = await eventually(lambda: dms_to(slack, "UAPPROVER2"))
    assert "already approved" in told[0]
    assert len(submitted_orders(simulator)) == 1


async def test_home_decisions_follow_the_same_rules(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    await submit_form(driver, slack, view)
    home = await open_home(driver, slack, APPROVER)
    # Someone who is no approver, sending the approver's button.
    await driver.click_view_button(OTHER, home, "home_approve", view["private_metadata"])
    told = await eventually(lambda: dms_to(slack, OTHER))
    assert "approver" in told[0]
    assert not submitted_orders(simulator)


async def test_starting_an_order_from_home(driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    home = await open_home(driver, slack, REQUESTER)
    start = home_buttons(home, "home_start_SUSPEND")
    assert start and start[0]["text"]["text"] == "Suspend a line"
    opened = len(slack.calls_to("views.open"))
    await driver.click_view_button(REQUESTER, home, "home_start_SUSPEND")
    call = await eventually(lambda: next((c for c in slack.calls_to("views.open")[opened:]
                                          if c.ok), None))
    number_view = slack.views[call.response["view"]["id"]]
    bad = await driver.submit_view(REQUESTER, number_view, {"number": "no idea"})
    assert bad.json()["response_action"] == "errors"
    answer = await driver.submit_view(REQUESTER, number_view, {"number": "404 555 3104"})
    assert answer.json()["response_action"] == "update"
    view_id = number_view["id"]
    await eventually(lambda: slack.views[view_id].get("callback_id") == "order_form")
    form = slack.views[view_id]
    assert "(404) 555-3104" in all_text(form)
    assert {b["block_id"] for b in form["blocks"] if b["type"] == "input"} >= set(
        fill_form(form))


async def test_every_approver_home_follows_new_and_decided_requests(
        driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    # UAPPROVER2 is an approver only through the SAPPROVERS user group; they opened their
    # Home once, before there was anything to decide.
    await open_home(driver, slack, "UAPPROVER2")
    view, channel, ts = await pending_order(driver, slack)
    request_id = view["private_metadata"]
    await eventually(lambda: [b["value"] for b in home_buttons(
        home_of(slack, "UAPPROVER2") or {}, "home_approve")] == [request_id])
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    await eventually(lambda: not home_buttons(home_of(slack, "UAPPROVER2") or {},
                                              "home_approve"))


async def test_a_requester_withdraws_a_pending_request_from_home(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    view, channel, ts = await pending_order(driver, slack)
    request_id = view["private_metadata"]
    home = await open_home(driver, slack, REQUESTER)
    assert "Waiting for your decision" not in all_text(home)
    assert [b["value"] for b in home_buttons(home, "home_cancel")] == [request_id]
    await driver.click_view_button(REQUESTER, home, "home_cancel", request_id)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    assert "Cancelled by <@URequester>" in all_text(slack.messages[(channel, ts)])
    request = await bot.ctx.repo.get(request_id)
    assert request is not None and request.state is RequestState.CANCELLED
    await eventually(lambda: not home_buttons(home_of(slack, REQUESTER) or {}, "home_cancel"))
    assert not submitted_orders(simulator)


async def test_homes_are_published_only_for_people_who_opened_theirs(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    await open_home(driver, slack, APPROVER)
    assert await bot.ctx.visitors.first_opened(APPROVER) is not None
    view, channel, ts = await pending_order(driver, slack)
    # The approver's Home follows the request to its decision...
    await eventually(lambda: [b["value"] for b in home_buttons(
        home_of(slack, APPROVER) or {}, "home_approve")] == [view["private_metadata"]])
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    await eventually(lambda: not home_buttons(home_of(slack, APPROVER) or {}, "home_approve"))
    await bot.ctx.homes.close()  # whatever was still due has gone out
    # ...while the requester and UAPPROVER2 never opened theirs, so none was published.
    published_for = {c.args.get("user_id") for c in slack.calls_to("views.publish")}
    assert published_for == {APPROVER}
    assert await bot.ctx.visitors.first_opened(REQUESTER) is None


async def test_a_burst_of_changes_publishes_a_home_once(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    await open_home(driver, slack, APPROVER)
    opened = len(slack.calls_to("views.publish"))
    # Four requests asked for at once: four changes to the approver's waiting list.
    forms = [await open_form(driver, slack, command, number) for command, number in (
        ("/suspend-line", "404-555-3104"), ("/unsuspend-line", "415-555-0142"),
        ("/deactivate-line", "212-555-0123"), ("/transfer-line", "415-555-0199"))]
    answers = await asyncio.gather(*(driver.submit_view(REQUESTER, form, fill_form(form))
                                     for form in forms))
    assert all(a.status_code == 200 for a in answers)
    await eventually(lambda: len(home_buttons(home_of(slack, APPROVER) or {},
                                              "home_approve")) == 4)
    await bot.ctx.homes.close()
    publishes = [c for c in slack.calls_to("views.publish")[opened:]
                 if c.args.get("user_id") == APPROVER]
    assert 1 <= len(publishes) < len(forms)


@pytest.mark.bot_settings(APPROVAL_TTL_HOURS=1)
async def test_an_expired_request_leaves_every_approvers_home(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    await open_home(driver, slack, "UAPPROVER2")  # an approver through a user group
    view, _, _ = await pending_order(driver, slack)
    request_id = view["private_metadata"]
    await eventually(lambda: [b["value"] for b in home_buttons(
        home_of(slack, "UAPPROVER2") or {}, "home_approve")] == [request_id])
    clock.past(3601)
    await eventually(lambda: request_in(bot, request_id, RequestState.EXPIRED))
    # Nobody touched it: the follower's expiry published their Home again.
    await eventually(lambda: not home_buttons(home_of(slack, "UAPPROVER2") or {},
                                              "home_approve"))
