"""Safer approvals: the approval message warns about the holder and other open orders, and
help-desk news mentions the person who asked there."""

from __future__ import annotations

from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from tests.support.flow import all_text, approved_order, pending_order

RILEY = "28691779"  # Riley Requester's MobProc employee id in the simulator's seed


def _warnings(message: dict[str, object]) -> str:
    blocks = message.get("blocks") or []
    assert isinstance(blocks, list)
    return "\n".join(all_text(b) for b in blocks if b.get("block_id") == "warnings")


async def test_the_approval_message_warns_when_the_asker_is_not_the_holder(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    _, channel, ts = await pending_order(driver, slack, text="404-555-3104")
    warned = _warnings(slack.messages[(channel, ts)])
    assert "Riley Requester asks to suspend a line held by Barbara Andrews." in warned
    assert "warning" in slack.messages[(channel, ts)]["text"]


async def test_no_warning_when_the_asker_holds_the_line(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    simulator.state.services["99034551"]["employee"] = RILEY  # (404) 555-3104 is Riley's now
    _, channel, ts = await pending_order(driver, slack, text="404-555-3104")
    message = slack.messages[(channel, ts)]
    assert _warnings(message) == ""
    assert "held by" not in all_text(message)


async def test_the_approval_message_warns_of_an_open_order_on_the_line(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    simulator.state.services["99034551"]["employee"] = RILEY
    _, first_channel, first_ts = await pending_order(driver, slack, text="404-555-3104")
    first = await bot.ctx.repo.get_by_message(first_channel, first_ts)
    assert first is not None
    _, channel, ts = await pending_order(driver, slack, command="/deactivate-line",
                                         text="(404) 555-3104")
    warned = _warnings(slack.messages[(channel, ts)])
    assert "(404) 555-3104 already has an open order from this bot: suspension asked by " \
           "<@URequester>" in warned
    assert "waiting for approval" in warned and first.approval_permalink in warned
    # The first message was posted before the second request existed: no warning there.
    assert _warnings(slack.messages[(first_channel, first_ts)]) == ""


async def test_a_placed_order_on_the_line_is_named_with_its_mobproc_number(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    simulator.state.services["99034551"]["employee"] = RILEY
    await approved_order(driver, slack, text="404-555-3104")
    _, channel, ts = await pending_order(driver, slack, command="/deactivate-line",
                                         text="404-555-3104")
    warned = _warnings(slack.messages[(channel, ts)])
    assert "placed with MobProc, MobProc order 9000001" in warned
