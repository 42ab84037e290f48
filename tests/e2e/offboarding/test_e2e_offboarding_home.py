"""A leaver's request in the App Home: in the approver's, listed while it waits, with Approve
and Cancel that decide it exactly as its approval message's buttons do; in its requester's,
one entry under "Your requests" (never its lines one by one) that they may cancel while it
waits; and every Home showing it follows it when it expires."""

from __future__ import annotations

from typing import Any

import pytest

from bot.offboarding.models import OffboardingState
from bot.phone import format_service_number
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, OTHER, REQUESTER, Clock
from tests.support.flow import all_text, buttons, submitted_orders
from tests.support.home import home_buttons, home_of, open_home, section_blocks
from tests.support.offboarding_flow import (
    LENA_LINES,
    details_for,
    pending_offboarding,
    send_for_approval,
)
from tests.support.slack_reading import dms_to, replies

APPROVE = "home_approve_offboarding"
CANCEL = "home_cancel_offboarding"
SECOND = "UAPPROVER2"  # an approver through the SAPPROVERS user group
TWO = {"41000101": "DEACTIVATE", "41000103": "SUSPEND"}


async def _pending_bundle(driver: SlackDriver, slack: FakeSlackWebAPI
                          ) -> tuple[str, str, str, dict[str, Any]]:
    """The approver has opened their Home; a leaver's request for two lines then waits for
    approval: its id, its approval message's (channel, ts) and the Home showing it."""
    await open_home(driver, slack, APPROVER)
    channel, ts = await send_for_approval(driver, slack, await details_for(driver, slack, TWO))
    offboarding_id = buttons(slack.messages[(channel, ts)])[0]["value"]
    # The Home is published again once the message is out: it lists the request.
    home = await eventually(lambda: (h := home_of(slack, APPROVER)) is not None and
                            home_buttons(h, APPROVE) and h)
    return offboarding_id, channel, ts, home


async def test_a_pending_bundle_is_listed_in_the_approvers_home_with_approve_and_cancel(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    offboarding_id, _, _, home = await _pending_bundle(driver, slack)
    approve, cancel = home_buttons(home, APPROVE), home_buttons(home, CANCEL)
    assert [(b["value"], b["text"]["text"]) for b in approve] == [(offboarding_id, "Approve")]
    assert [(b["value"], b["text"]["text"]) for b in cancel] == [(offboarding_id, "Cancel")]
    assert "Offboarding" in all_text(home) and "2 lines" in all_text(home)
    assert "Lena Leaver" in all_text(home)
    # Opened afresh, it shows the same.
    again = await open_home(driver, slack, APPROVER)
    assert [b["value"] for b in home_buttons(again, APPROVE)] == [offboarding_id]


async def test_approve_in_the_home_places_each_line_once_and_updates_the_message(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    offboarding_id, channel, ts, home = await _pending_bundle(driver, slack)
    await driver.click_view_button(APPROVER, home, APPROVE, offboarding_id)
    await eventually(lambda: len(submitted_orders(simulator)) == 2)
    bodies = [p["body"]["orderRequest"] for p in submitted_orders(simulator)]
    assert {b["serviceId"]: b["transactionType"] for b in bodies} == TWO
    # The approval message, as after its own Approve: no buttons, who approved.
    await eventually(lambda: buttons(slack.messages[(channel, ts)]) == [])
    assert "Approved by <@UAPPROVER>" in all_text(slack.messages[(channel, ts)])
    await eventually(lambda: "placed" in "\n".join(replies(slack, channel, ts)))
    # The Home was refreshed: nothing waits any more.
    await eventually(lambda: not home_buttons(home_of(slack, APPROVER) or {}, APPROVE))
    # A second click on the stale Home changes nothing and says why.
    await driver.click_view_button(APPROVER, home, APPROVE, offboarding_id)
    await eventually(lambda: any("already approved" in t for t in dms_to(slack, APPROVER)))
    assert len(submitted_orders(simulator)) == 2
    stored = await bot.ctx.offboarding.get(offboarding_id)
    assert stored is not None and stored.state in (OffboardingState.APPROVED,
                                                   OffboardingState.DONE)


async def test_cancel_in_the_home_cancels_the_whole_request(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    offboarding_id, channel, ts, home = await _pending_bundle(driver, slack)
    await driver.click_view_button(APPROVER, home, CANCEL, offboarding_id)
    await eventually(lambda: "Cancelled by <@UAPPROVER>" in all_text(
        slack.messages[(channel, ts)]))
    assert buttons(slack.messages[(channel, ts)]) == []
    view = await bot.ctx.offboarding.view(offboarding_id)
    assert view is not None and view.offboarding.state is OffboardingState.CANCELLED
    assert {o.state.value for o in view.orders} == {"cancelled"}
    await eventually(lambda: not home_buttons(home_of(slack, APPROVER) or {}, CANCEL))
    assert submitted_orders(simulator) == []


async def test_a_non_approvers_click_changes_nothing(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    offboarding_id, channel, ts, home = await _pending_bundle(driver, slack)
    before = slack.messages[(channel, ts)]
    await driver.click_view_button(OTHER, home, APPROVE, offboarding_id)
    told = await eventually(lambda: dms_to(slack, OTHER))
    assert "Only the approvers" in told[0]
    await driver.click_view_button(OTHER, home, CANCEL, offboarding_id)
    await eventually(lambda: len(dms_to(slack, OTHER)) == 2)
    stored = await bot.ctx.offboarding.get(offboarding_id)
    assert stored is not None and stored.state is OffboardingState.PENDING
    assert slack.messages[(channel, ts)] == before
    assert submitted_orders(simulator) == []
    assert [b["value"] for b in home_buttons(home_of(slack, APPROVER) or {}, APPROVE)] == \
        [offboarding_id]


@pytest.mark.bot_settings(APPROVALS_REQUIRED="DEACTIVATE=2")
async def test_a_bundle_you_approved_waits_in_the_home_without_your_approve_button(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    offboarding_id, channel, ts, home = await _pending_bundle(driver, slack)
    assert "Needs 2 approvers" in all_text(home)
    await driver.click_view_button(APPROVER, home, APPROVE, offboarding_id)
    await eventually(lambda: "1 more approval needed" in all_text(slack.messages[(channel, ts)]))
    mine = await eventually(lambda: (h := home_of(slack, APPROVER)) is not None and
                            not home_buttons(h, APPROVE) and h)
    assert "Approved by you · waiting for another approver" in all_text(mine)
    assert [b["value"] for b in home_buttons(mine, CANCEL)] == [offboarding_id]
    theirs = await open_home(driver, slack, SECOND)
    assert [b["value"] for b in home_buttons(theirs, APPROVE)] == [offboarding_id]
    await driver.click_view_button(SECOND, theirs, APPROVE, offboarding_id)
    await eventually(lambda: len(submitted_orders(simulator)) == 2)
    await eventually(lambda: buttons(slack.messages[(channel, ts)]) == [])


def your_requests(home: dict[str, Any]) -> str:
    """The text of the Home's "Your requests" section."""
    return all_text({"blocks": section_blocks(home, "Your requests")})


WITHDRAW = CANCEL  # the requester's "Cancel request" is the Home's Cancel of the request
NUMBERS = [format_service_number(n) for n in LENA_LINES.values()]


async def test_the_requester_sees_their_request_once_and_cancels_it_from_their_home(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    await open_home(driver, slack, REQUESTER)
    offboarding_id, channel, ts = await pending_offboarding(driver, slack)
    # Once its message is out, their Home is published again with it.
    home = await eventually(lambda: (h := home_of(slack, REQUESTER)) is not None and
                            home_buttons(h, WITHDRAW) and h)
    (withdraw,) = home_buttons(home, WITHDRAW)
    assert (withdraw["value"], withdraw["text"]["text"]) == (offboarding_id, "Cancel request")
    mine = your_requests(home)
    assert mine.count("Offboarding") == 1
    assert "3 lines of *Lena Leaver*" in mine and "Waiting for approval" in mine
    assert "|thread>" in mine  # its approval message
    assert "Waiting for your decision" not in all_text(home)  # not an approver
    await driver.click_view_button(REQUESTER, home, WITHDRAW, offboarding_id)
    await eventually(lambda: "Cancelled by <@URequester>" in all_text(
        slack.messages[(channel, ts)]))
    assert buttons(slack.messages[(channel, ts)]) == []
    view = await bot.ctx.offboarding.view(offboarding_id)
    assert view is not None and view.offboarding.state is OffboardingState.CANCELLED
    assert {o.state.value for o in view.orders} == {"cancelled"}
    # Their Home follows: still one entry, cancelled, and not its lines one by one (each
    # of them is a cancelled line request now).
    after = await eventually(lambda: (h := home_of(slack, REQUESTER)) is not None and
                             not home_buttons(h, WITHDRAW) and h)
    mine = your_requests(after)
    assert mine.count("Offboarding") == 1 and "Cancelled" in mine
    assert not [n for n in NUMBERS if n in mine]
    again = your_requests(await open_home(driver, slack, REQUESTER))
    assert again.count("Offboarding") == 1 and not [n for n in NUMBERS if n in again]
    assert submitted_orders(simulator) == []


@pytest.mark.bot_settings(APPROVAL_TTL_HOURS=1)
async def test_homes_showing_a_request_are_published_again_when_it_expires(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, clock: Clock) -> None:
    await open_home(driver, slack, REQUESTER)
    offboarding_id, channel, ts, _ = await _pending_bundle(driver, slack)
    await eventually(lambda: home_buttons(home_of(slack, REQUESTER) or {}, WITHDRAW))
    published = {user: len([c for c in slack.calls_to("views.publish")
                            if c.ok and c.args.get("user_id") == user])
                 for user in (REQUESTER, APPROVER)}
    clock.past(3601)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    stored = await bot.ctx.offboarding.get(offboarding_id)
    assert stored is not None and stored.state is OffboardingState.EXPIRED
    # Nobody opened a Home since: the follower's round published both again.
    approver = await eventually(lambda: (h := home_of(slack, APPROVER)) is not None and
                                not home_buttons(h, APPROVE) and h)
    assert "Nothing is waiting for you" in all_text(approver)
    requester = await eventually(lambda: (h := home_of(slack, REQUESTER)) is not None and
                                 not home_buttons(h, WITHDRAW) and h)
    assert "Expired" in your_requests(requester)
    for user, before in published.items():
        assert len([c for c in slack.calls_to("views.publish")
                    if c.ok and c.args.get("user_id") == user]) > before
    assert submitted_orders(simulator) == []


def _latest_decisions(home: dict[str, Any]) -> list[str]:
    return [all_text(b) for b in section_blocks(home, "Latest decisions")]


async def test_an_approved_bundle_is_one_latest_decision_not_its_lines(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    _, channel, ts, _ = await _pending_bundle(driver, slack)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    home = await eventually(lambda: (h := home_of(slack, APPROVER)) is not None and any(
        "Offboarding 2 lines" in d for d in _latest_decisions(h)) and h)
    decisions = _latest_decisions(home)
    assert len([d for d in decisions if "Lena Leaver" in d]) == 1
    assert f"by <@{APPROVER}>" in decisions[0]
    numbers = [format_service_number(LENA_LINES[sid]) for sid in TWO]
    assert not any(number in d for d in decisions for number in numbers)
