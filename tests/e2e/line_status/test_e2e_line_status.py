"""/line-status for a number, an order id, and something unknown."""

from __future__ import annotations

from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import OTHER, Clock
from tests.support.flow import all_text, approved_order


async def ask(driver: SlackDriver, slack: FakeSlackWebAPI, text: str) -> str:
    before = len(slack.calls_to("chat.postEphemeral"))
    answer = await driver.slash_command(OTHER, "/line-status", text, channel_id="CGENERAL")
    assert answer.status_code == 200
    notice = await eventually(lambda: next((c for c in slack.calls_to("chat.postEphemeral")
                                            [before:] if c.args.get("user") == OTHER), None))
    return all_text(notice.args)


async def test_line_status_by_number_and_by_order_id(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    view, _, _ = await approved_order(driver, slack, clock)
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.order_id

    by_number = await ask(driver, slack, "(404) 555-3104")
    for shown in ("Line (404) 555-3104", "Barbara Andrews", "iPhone 6", "Active",
                  request.order_id, "Order submitted → In progress"):
        assert shown in by_number, shown

    by_order = await ask(driver, slack, request.order_id)
    assert "Line (404) 555-3104" in by_order and ":point_left:" in by_order

    never_ordered = await ask(driver, slack, "415-555-0142")
    assert "Suspended" in never_ordered and "No orders from Slack" in never_ordered


async def test_unknown_lines_and_orders(driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    assert "has no line (415) 555-0000" in await ask(driver, slack, "415-555-0000")
    assert "neither a line number nor a MobProc order" in await ask(driver, slack, "12345")
    assert "neither" in await ask(driver, slack, "what?")
    assert "Usage" in await ask(driver, slack, "  ")


async def test_history_falls_back_to_what_was_seen_when_mobproc_is_down(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock,
        simulator: RunningSimulator) -> None:
    await approved_order(driver, slack, clock)
    simulator.state.add_fault("GET", r"/orders/\d+$", status=503, times=10)
    assert "Order submitted → In progress" in await ask(driver, slack, "404-555-3104")
