"""An order waiting in MobProc's approval workflow carries choice ids; its approver's DM shows
their labels, read from MobProc's property definitions once per transaction type and line."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from bot.runtime import RunningBot
from bot.simulator import seed
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER
from tests.support.flow import all_text, pending_order
from tests.support.home import open_home
from tests.support.mobproc_approvals import (
    PORTAL_ORDER,
    SAM,
    approval_dms,
    avery_dm,
)

# The seeded portal order's Reason is choice "3" of a suspension: "Leave of absence".
REASON_LABEL = "*Reason*\nLeave of absence"
REASON_ID = "*Reason*\n3"


def portal_order(simulator: RunningSimulator, reason: str) -> str:
    """One more suspension of (212) 555-0123 placed in the portal, waiting for approval."""
    placed = copy.deepcopy(seed.PORTAL_ORDERS[0])
    placed["request"]["properties"][0]["fields"][-1]["choice"]["id"] = reason
    order = simulator.state.create_order(
        placed["request"], dict(simulator.state.employees[placed["requested_by"]]),
        needs_approval=True)
    order.submitted -= timedelta(seconds=simulator.state.step_seconds)  # already waiting
    return order.order_id


def reads(simulator: RunningSimulator, path: str) -> int:
    return sum(1 for r in simulator.state.received if r.path.endswith(path))


def dm_of(slack: FakeSlackWebAPI, order_id: str, channel: str = f"D{APPROVER}"
          ) -> dict[str, Any] | None:
    return next((m for m in approval_dms(slack, channel) if order_id in all_text(m)), None)


async def test_the_dm_shows_a_choices_label_not_its_id(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    text = all_text(await avery_dm(driver, slack))
    assert REASON_LABEL in text and REASON_ID not in text
    assert "*Contact Phone Number*\n2125550100" in text  # a TEXT value as it was


async def test_definitions_are_read_once_for_many_dms_and_an_unknown_id_shows_as_it_is(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    known = [portal_order(simulator, "1") for _ in range(4)]
    unknown = portal_order(simulator, "77")  # no such choice in MobProc's definitions
    await open_home(driver, slack, APPROVER)
    await open_home(driver, slack, SAM)
    everything = [PORTAL_ORDER, *known, unknown]
    for channel in (f"D{APPROVER}", f"D{SAM}"):
        await eventually(lambda c=channel: all(dm_of(slack, o, c) for o in everything))
        assert REASON_LABEL in all_text(dm_of(slack, PORTAL_ORDER, channel) or {})
        for order_id in known:
            assert "*Reason*\nLost device" in all_text(dm_of(slack, order_id, channel) or {})
        assert "*Reason*\n77" in all_text(dm_of(slack, unknown, channel) or {})
    # Twelve DMs of one type on one line: its definitions were read once.
    assert reads(simulator, "/orders/properties") == 1


async def test_a_failed_read_is_not_kept(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    simulator.state.add_fault("GET", r"/orders/properties$", status=400)
    first = await avery_dm(driver, slack)
    assert REASON_ID in all_text(first)  # MobProc couldn't say: the id, as MobProc gave it
    later = portal_order(simulator, "2")  # the next round finds it
    dm = await eventually(lambda: dm_of(slack, later))
    assert "*Reason*\nStolen device" in all_text(dm)
    assert reads(simulator, "/orders/properties") == 2


async def test_the_approval_message_of_a_slack_order_shows_choice_labels(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    _, channel, ts = await pending_order(driver, slack)
    text = all_text(slack.messages[(channel, ts)])
    # The form's first choices: MobProc's labels, never their ids.
    assert "*Hold Service*\nHold number for 90 days" in text
    assert "*Reason*\nLost device" in text and "*Reason*\n1" not in text
