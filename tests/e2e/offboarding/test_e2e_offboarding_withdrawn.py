"""A leaver's request withdrawn before its approval message went out never gets live buttons,
as a single line's request (tests/e2e/approval/test_e2e_crafted.py): a message still queued
leaves the queue with the cancel, and one already on its way is brought to its decided form
once it is out. Its requester may cancel it from their Home as soon as it waits. End to end:
signed requests to the bot's endpoint, the fake Slack Web API and the MobProc simulator."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.demo import fill_form
from bot.domain import RequestState
from bot.offboarding.models import OffboardingState
from bot.offboarding.posts import BUNDLE_APPROVAL
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from bot.storage.outbox_queue import DROPPED
from bot.storage.tables import OutboxRow
from tests.conftest import APPROVAL_CHANNEL, REQUESTER
from tests.support.flow import all_text, approval_post_since, buttons, open_form, submitted_orders
from tests.support.home import home_buttons, open_home
from tests.support.offboarding_flow import ALL_THREE, approval_messages, details_for
from tests.support.slack_reading import ephemerals_to

CANCEL = "home_cancel_offboarding"


async def test_a_leavers_request_withdrawn_while_its_message_waits_in_the_queue_never_gets_one(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    first = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    details = await details_for(driver, slack, ALL_THREE)
    withdrawn = str(details["private_metadata"])
    # Slack holds a single request's message back (429, retried after 3 s): the leaver's
    # request's waits in the queue behind it, not sent.
    slack.fail_next("chat.postMessage", retry_after=3)
    before = len(slack.calls_to("chat.postMessage"))
    await driver.submit_view(REQUESTER, first, fill_form(first))
    await eventually(lambda: slack.refused_for_rate("chat.postMessage") == 1)
    await driver.submit_view(REQUESTER, details, fill_form(details))
    await eventually(lambda: _queued(bot, withdrawn))
    # Its requester's Home offers its Cancel while it waits, message or not.
    home = await open_home(driver, slack, REQUESTER)
    assert [b["value"] for b in home_buttons(home, CANCEL)] == [withdrawn]
    await driver.click_view_button(REQUESTER, home, CANCEL, withdrawn)
    await eventually(lambda: _cancelled(bot, withdrawn))
    # The first message goes out once Slack lets it; the withdrawn one would follow it.
    posted = await eventually(lambda: approval_post_since(slack, before), within=15)
    assert posted.args.get("channel") == APPROVAL_CHANNEL
    await bot.ctx.outbox.deliver()
    assert approval_messages(slack, withdrawn) == []
    # No message anywhere carries a button for it.
    assert not [m for m in slack.messages.values()
                if any(b.get("value") == withdrawn for b in buttons(m))]
    assert not [c for c in slack.calls_to("chat.postMessage") if _names(c.args, withdrawn)]
    assert buttons(slack.messages[(posted.response["channel"], posted.response["ts"])])
    stored = await bot.ctx.offboarding.get(withdrawn)
    assert stored is not None and stored.approval_ts is None
    assert stored.decided_by == REQUESTER
    lines = await bot.ctx.offboarding.repo.orders(withdrawn)
    assert len(lines) == 3 and all(o.state is RequestState.CANCELLED for o in lines)
    async with bot.ctx.repo._sessions() as session:
        calls = list(await session.scalars(select(OutboxRow).where(
            OutboxRow.request_id == withdrawn, OutboxRow.purpose == BUNDLE_APPROVAL)))
    assert len(calls) == 1 and calls[0].sent_at is not None
    assert calls[0].last_error == DROPPED  # taken off the queue, never sent
    assert submitted_orders(simulator) == []


async def test_a_leavers_request_withdrawn_while_its_message_was_on_its_way_loses_the_buttons(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    details = await details_for(driver, slack, ALL_THREE)
    held = str(details["private_metadata"])
    # Slack takes the post but its answer is lost (later than the bot waits), and the first
    # looks for it fail: the message is out (it can't be called back) but not recorded when
    # the request is withdrawn.
    slack.answer_late("chat.postMessage", 30, channel=APPROVAL_CHANNEL)
    slack.fail_next("conversations.history", error="internal_error", status=500,
                    retry_after=None, times=3)
    notices = len(slack.calls_to("chat.postEphemeral"))
    assert (await driver.submit_view(REQUESTER, details, fill_form(details))).status_code \
        == 200
    await eventually(lambda: approval_messages(slack, held))
    home = await open_home(driver, slack, REQUESTER)
    assert [b["value"] for b in home_buttons(home, CANCEL)] == [held]
    await driver.click_view_button(REQUESTER, home, CANCEL, held)
    await eventually(lambda: _cancelled(bot, held))
    stored = await eventually(lambda: _with_message(bot, held), within=15)

    def without_buttons() -> dict[str, Any] | None:
        message = slack.messages.get((stored.approval_channel, stored.approval_ts))
        return message if message is not None and not buttons(message) else None

    message = await eventually(without_buttons)
    assert "Cancelled by <@URequester>" in all_text(message)
    assert [m["ts"] for m in approval_messages(slack, held)] == [stored.approval_ts]
    lines = await bot.ctx.offboarding.repo.orders(held)
    assert len(lines) == 3 and all(o.state is RequestState.CANCELLED for o in lines)
    await bot.ctx.outbox.deliver()
    # Nobody is told it waits for an approver.
    assert not any("waiting for an approver" in t
                   for t in ephemerals_to(slack, REQUESTER, notices))
    assert submitted_orders(simulator) == []


async def _queued(bot: RunningBot, offboarding_id: str) -> bool:
    """Its approval message is in the queue, not sent."""
    async with bot.ctx.repo._sessions() as session:
        return bool(list(await session.scalars(select(OutboxRow.id).where(
            OutboxRow.request_id == offboarding_id, OutboxRow.purpose == BUNDLE_APPROVAL,
            OutboxRow.sent_at.is_(None)))))


async def _cancelled(bot: RunningBot, offboarding_id: str) -> bool:
    stored = await bot.ctx.offboarding.get(offboarding_id)
    return stored is not None and stored.state is OffboardingState.CANCELLED


async def _with_message(bot: RunningBot, offboarding_id: str) -> Any:
    stored = await bot.ctx.offboarding.get(offboarding_id)
    return stored if stored is not None and stored.approval_ts else None


def _names(args: dict[str, Any], offboarding_id: str) -> bool:
    """A top-level post (not a thread reply) naming the request: its metadata or buttons."""
    return not args.get("thread_ts") and offboarding_id in json.dumps(args, default=str)
