"""A leaver's request's approval message warns, line by line, of what a single request's
warns of (bot/approval/warnings.py): another open order on the line, a holder other than
the person the orders are for (here the leaver)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER
from tests.support.flow import all_text, pending_order
from tests.support.offboarding_flow import details_for, send_for_approval

TWO = {"41000101": "DEACTIVATE", "41000103": "SUSPEND"}
BARBARA = "123456781"  # Barbara Andrews, (404) 555-3104's holder in the simulator's seed


def _warnings(message: dict[str, Any]) -> str:
    return "\n".join(all_text(b) for b in message.get("blocks", [])
                     if b.get("block_id") == "warnings")


async def test_a_line_with_an_open_order_is_warned_of_under_its_number(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    _, first_channel, first_ts = await pending_order(driver, slack, text="312-555-0101")
    first = await bot.ctx.repo.get_by_message(first_channel, first_ts)
    assert first is not None
    channel, ts = await send_for_approval(driver, slack, await details_for(driver, slack, TWO))
    message = slack.messages[(channel, ts)]
    warned = _warnings(message)
    assert "*(312) 555-0101*\n• (312) 555-0101 already has an open order from this bot: " \
           "suspension asked by <@URequester>" in warned
    assert "waiting for approval" in warned and first.approval_permalink in warned
    # Only that line is warned of; the leaver holds their own lines: no holder warning.
    assert "(312) 555-0103" not in warned and "held by" not in warned
    assert "(1 warning)" in message["text"]


async def test_a_line_held_by_someone_else_than_the_leaver_is_warned_of(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    details = await details_for(driver, slack, TWO)
    # Moved to another holder between the listing and MobProc's confirmation.
    simulator.state.services["41000103"]["employee"] = BARBARA
    channel, ts = await send_for_approval(driver, slack, details)
    warned = _warnings(slack.messages[(channel, ts)])
    assert "*(312) 555-0103*\n• Riley Requester asks to suspend a line held by " \
           "Barbara Andrews." in warned
    assert "(312) 555-0101" not in warned



@pytest.mark.bot_settings(APPROVALS_REQUIRED="DEACTIVATE=2")
async def test_the_warnings_stay_when_the_message_is_redrawn_after_a_first_approval(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    await pending_order(driver, slack, text="312-555-0101")
    channel, ts = await send_for_approval(driver, slack, await details_for(driver, slack, TWO))
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    await eventually(lambda: "1 more approval needed" in all_text(slack.messages[(channel, ts)]))
    assert "(312) 555-0101 already has an open order" in _warnings(
        slack.messages[(channel, ts)])


async def test_a_waiting_leavers_line_is_an_open_order_for_a_request_of_its_own(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    """A leaver's lines wait with their request (PENDING, not drafts): a single request for
    one of them warns its approver of the order already waiting on that line."""
    await send_for_approval(driver, slack, await details_for(driver, slack, TWO))
    _, channel, ts = await pending_order(driver, slack, text="312-555-0101")
    message = slack.messages[(channel, ts)]
    warned = _warnings(message)
    assert "(312) 555-0101 already has an open order from this bot: deactivation asked " \
           "by <@URequester>" in warned and "waiting for approval" in warned
    # Its own expiry, reminders and buttons stay the leaver's request's.
    assert {r.offboarding_id for r in await bot.ctx.orders.pending()} == {None}


async def test_a_waiting_leavers_line_links_its_requests_approval_message(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    """A leaver's request keeps its approval message's link as a single request does, and
    its lines with it: another request's warning about one of them links that message."""
    details = await details_for(driver, slack, TWO)
    await send_for_approval(driver, slack, details)
    offboarding_id = details["private_metadata"]
    stored = await eventually(lambda: _linked(bot, offboarding_id))
    _, channel, ts = await pending_order(driver, slack, text="312-555-0101")
    assert stored.approval_permalink in _warnings(slack.messages[(channel, ts)])


async def _linked(bot: RunningBot, offboarding_id: str) -> Any:
    stored = await bot.ctx.offboarding.get(offboarding_id)
    lines = await bot.ctx.offboarding.repo.orders(offboarding_id)
    if stored is None or not stored.approval_permalink:
        return None
    assert {line.approval_permalink for line in lines} == {stored.approval_permalink}
    return stored
