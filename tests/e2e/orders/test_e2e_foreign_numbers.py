"""The right line for a number from abroad, end to end: +44 20 7946 0958 is the UK line or is
refused; it is never re-read as the US line (207) 946-0958.

The simulator seeds both (``bot/simulator/seed.py``): the US line 2079460958 held by Dana
Maine and the UK line 442079460958 held by Hugh London (serviceNumber by the assumed rule).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain import RequestState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import HELPDESK, OTHER
from tests.support.flow import all_text, open_form, pending_order, submit_form, submitted_orders
from tests.support.helpdesk_flow import AGENT
from tests.support.slack_reading import bot_replies

US_LINE, UK_LINE = "38382207", "38382044"
UK_TYPED = "+44 20 7946 0958"
REFUSAL = ("I read +44 20 7946 0958 as a United Kingdom number; "
           "MobProc has no line with that number.")


async def test_a_uk_number_opens_the_uk_line_and_orders_it(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    view = await open_form(driver, slack, "/suspend-line", UK_TYPED)
    shown = all_text(view)
    assert "+44 20 7946 0958" in shown and "Hugh London" in shown
    assert "Dana Maine" not in shown and "(207) 946-0958" not in shown
    draft = await bot.ctx.repo.get(view["private_metadata"])
    assert draft is not None and draft.service.id == UK_LINE

    await submit_form(driver, slack, view)
    lines = [p["body"]["orderRequest"]["serviceId"] for p in simulator.state.order_posts]
    assert lines == [UK_LINE], "MobProc confirmed the order on the UK line, only"

    # The US number still opens the US line.
    us_view = await open_form(driver, slack, "/suspend-line", "(207) 946-0958")
    assert "Dana Maine" in all_text(us_view) and "Hugh London" not in all_text(us_view)
    us_draft = await bot.ctx.repo.get(us_view["private_metadata"])
    assert us_draft is not None and us_draft.service.id == US_LINE


async def test_a_uk_number_mobproc_lacks_is_refused_not_read_as_the_us_line(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    del simulator.state.services[UK_LINE]  # only the US line (207) 946-0958 is left
    view = await open_form(driver, slack, "/suspend-line", UK_TYPED)
    assert REFUSAL in all_text(view)
    assert "submit" not in view and "Dana Maine" not in all_text(view)
    # A number MobProc has in no form at all is refused the same way.
    paris = await open_form(driver, slack, "/deactivate-line", "+33 1 23 45 67 89")
    assert "I read +33 1 23 45 67 89 as a France number; MobProc has no line" in \
        all_text(paris)
    assert not await bot.ctx.repo.in_states(list(RequestState))
    assert not simulator.state.order_posts and not submitted_orders(simulator)


async def test_a_helpdesk_message_with_a_uk_number_is_the_uk_line(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    ts, _ = await driver.post_message(
        OTHER, HELPDESK, f"My phone was stolen in London, please suspend {UK_TYPED}")
    reply = (await eventually(lambda: bot_replies(slack, HELPDESK, ts)))[0]
    said = all_text(reply)
    assert "I found line *+44 20 7946 0958* (Hugh London)" in said
    assert "Dana Maine" not in said
    button = next(e for b in reply["blocks"] if b.get("type") == "actions"
                  for e in b["elements"])
    ticket = await bot.ctx.repo.get_ticket(button["value"].partition(":")[0])
    assert ticket is not None and ticket.service_number == "+442079460958"

    # The button reads the number back from the ticket: still the UK line.
    before = len(slack.calls_to("views.update"))
    await driver.click_button(AGENT, channel_id=HELPDESK, message_ts=reply["ts"],
                              action_id=button["action_id"])
    update = await eventually(lambda: next((c for c in slack.calls_to("views.update")
                                            [before:] if c.ok), None))
    view = slack.views[update.response["view"]["id"]]
    assert "Hugh London" in all_text(view) and "Dana Maine" not in all_text(view)
    draft = await bot.ctx.repo.get(view["private_metadata"])
    assert draft is not None and draft.service.id == UK_LINE


async def test_a_uk_number_mobproc_lacks_is_refused_in_the_helpdesk_thread(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    del simulator.state.services[UK_LINE]
    ts, _ = await driver.post_message(OTHER, HELPDESK, f"stolen, please suspend {UK_TYPED}")
    reply = (await eventually(lambda: bot_replies(slack, HELPDESK, ts)))[0]
    assert REFUSAL in all_text(reply)
    assert "Dana Maine" not in all_text(reply) and "Start suspend order" not in all_text(reply)
    assert not await bot.ctx.repo.in_states(list(RequestState))


async def test_a_mention_with_a_uk_number_is_the_uk_line(
        driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    text = f"<@{slack.bot_user_id}> lost my phone, {UK_TYPED}"
    ts = slack.add_user_message(OTHER, "CGENERAL", text)
    await driver.event({"type": "app_mention", "channel": "CGENERAL", "user": OTHER,
                        "text": text, "ts": ts})
    reply = (await eventually(lambda: bot_replies(slack, "CGENERAL", ts)))[0]
    assert "(Hugh London)" in all_text(reply) and "Dana Maine" not in all_text(reply)


async def test_open_orders_and_line_status_keep_the_two_lines_apart(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    us_view, _, _ = await pending_order(driver, slack, text="(207) 946-0958")
    _, channel, ts = await pending_order(driver, slack, text=UK_TYPED)
    uk_message = next(c for c in slack.calls_to("chat.postMessage")
                      if c.ok and c.response["ts"] == ts and c.args.get("channel") == channel)
    assert "already has an open order" not in all_text(uk_message.args)
    # A second order on the UK line is warned about the first one, not about the US one.
    _, channel2, ts2 = await pending_order(driver, slack, text=UK_TYPED)
    second = next(c for c in slack.calls_to("chat.postMessage")
                  if c.ok and c.response["ts"] == ts2 and c.args.get("channel") == channel2)
    assert "+44 20 7946 0958 already has an open order" in all_text(second.args)

    before = len(slack.calls_to("chat.postEphemeral"))
    await driver.slash_command(OTHER, "/line-status", UK_TYPED, channel_id="CGENERAL")
    notice = await eventually(lambda: next((c for c in slack.calls_to("chat.postEphemeral")
                                            [before:] if c.args.get("user") == OTHER), None))
    status = all_text(notice.args)
    assert "Line +44 20 7946 0958" in status and "Hugh London" in status
    assert "2 order(s) from Slack" in status and "Dana Maine" not in status
    us_request = await bot.ctx.repo.get(us_view["private_metadata"])
    assert us_request is not None and us_request.service.id == US_LINE


async def test_a_loose_serviceNumber_filter_still_gives_only_the_exact_line(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch) -> None:
    # A MobProc whose filter matches the end of the number: 2079460958 finds both lines.
    exact = simulator.state.find_services

    def loose(number: str | None, employee: str | None,
              company_employee_id: str | None) -> list[dict[str, Any]]:
        found = exact(None, employee, company_employee_id)
        return [s for s in found if not number or s["serviceNumber"].endswith(number)
                or number.endswith(s["serviceNumber"])]

    monkeypatch.setattr(simulator.state, "find_services", loose)
    uk = await bot.ctx.orders.mobproc.find_service(bot.ctx.orders.parse_number(UK_TYPED))
    us = await bot.ctx.orders.mobproc.find_service(
        bot.ctx.orders.parse_number("(207) 946-0958"))
    assert uk is not None and uk.id == UK_LINE
    assert us is not None and us.id == US_LINE

    del simulator.state.services[UK_LINE]
    view = await open_form(driver, slack, "/suspend-line", UK_TYPED)
    assert REFUSAL in all_text(view) and "Dana Maine" not in all_text(view)
    assert not await bot.ctx.repo.in_states(list(RequestState))


async def test_line_status_of_a_uk_number_mobproc_lacks_says_what_was_read(
        driver: SlackDriver, slack: FakeSlackWebAPI, simulator: RunningSimulator) -> None:
    del simulator.state.services[UK_LINE]
    answer = await driver.slash_command(OTHER, "/line-status", UK_TYPED, channel_id="CGENERAL")
    assert answer.status_code == 200
    notice = await eventually(lambda: next((c for c in slack.calls_to("chat.postEphemeral")
                                            if c.args.get("user") == OTHER), None))
    assert REFUSAL in all_text(notice.args) and "Dana Maine" not in all_text(notice.args)
