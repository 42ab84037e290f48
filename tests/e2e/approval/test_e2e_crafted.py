"""Crafted payloads change nothing, a withdrawn request never gets live buttons, and a
leaver's request moves with its lines. End to end: signed requests to the bot's endpoint,
the fake Slack Web API and the MobProc simulator.

Each crafted payload is one Slack could carry only if someone built it: a form submission
or a button naming a request it was never shown for. Each gets a clear answer and leaves the
database, Slack and MobProc as they were."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from blocks.orders import modals
from bot.demo import fill_form
from bot.domain import LineRequest, RequestState
from bot.effects.outbox import APPROVAL
from bot.offboarding.models import OffboardingState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from bot.storage.outbox_queue import DROPPED
from bot.storage.tables import OutboxRow
from tests.conftest import (
    APPROVAL_CHANNEL,
    APPROVER,
    OTHER,
    REQUESTER,
    BotFactory,
    Clock,
    DriverFactory,
)
from tests.support.crash import crashed, die_right_after
from tests.support.flow import (
    all_text,
    buttons,
    held_request,
    open_form,
    pending_order,
    submitted_orders,
)
from tests.support.home import open_home
from tests.support.offboarding_flow import (
    ALL_THREE,
    details_for,
    held_offboarding,
    send_for_approval,
)
from tests.support.slack_reading import dms_to, ephemerals_to
from tests.support.waiting import with_approval_message


async def _leavers_request(bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI
                           ) -> tuple[str, str, str, list[LineRequest]]:
    """Lena's three lines waiting for approval: (offboarding id, channel, ts, its lines)."""
    details = await details_for(driver, slack, ALL_THREE)
    channel, ts = await send_for_approval(driver, slack, details)
    offboarding_id = details["private_metadata"]
    lines = await bot.ctx.offboarding.repo.orders(offboarding_id)
    assert len(lines) == 3 and all(o.state is RequestState.PENDING for o in lines)
    return offboarding_id, channel, ts, lines


async def _states(bot: RunningBot, offboarding_id: str
                  ) -> tuple[OffboardingState | None, list[RequestState]]:
    stored = await bot.ctx.offboarding.get(offboarding_id)
    lines = await bot.ctx.offboarding.repo.orders(offboarding_id)
    return (stored.state if stored else None), [o.state for o in lines]


def _approval_posts(slack: FakeSlackWebAPI, request_id: str) -> list[Any]:
    """Approval messages Slack accepted for ``request_id`` (found by their metadata; the
    news in a thread names its request too)."""
    return [c for c in slack.calls_to("chat.postMessage")
            if c.ok and not c.args.get("thread_ts")
            and ((c.args.get("metadata") or {}).get("event_payload") or {})
            .get("request_id") == request_id]


# --- 1. a line of a leaver's request is never a standalone order ------------------------------

async def test_a_crafted_order_form_cannot_send_a_leavers_line_alone(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    offboarding_id, _, _, lines = await _leavers_request(bot, driver, slack)
    line = lines[0]
    form = await bot.ctx.repo.get_form(line.id)
    assert form is not None
    # The single-order form, built for the line and submitted by the one who asked for it.
    view = {**modals.order_form_view(form), "id": "VCRAFTED"}
    assert view["private_metadata"] == line.id
    confirmations = len(simulator.state.order_posts)
    posts = len(slack.calls_to("chat.postMessage"))
    answer = await driver.submit_view(REQUESTER, view, fill_form(view))
    assert answer.status_code == 200
    shown = all_text(json.loads(answer.text))
    assert "part of an /offboard-lines request" in shown and "Nothing was sent" in shown
    assert await _states(bot, offboarding_id) == (OffboardingState.PENDING,
                                                  [RequestState.PENDING] * 3)
    stored = await bot.ctx.repo.get(line.id)
    assert stored is not None and stored.confirmation is not None  # the bundle's, unchanged
    assert stored.confirmation == line.confirmation
    await bot.ctx.outbox.deliver()
    assert len(simulator.state.order_posts) == confirmations  # MobProc never asked
    assert slack.calls_to("chat.postMessage")[posts:] == []  # no approval message of its own
    assert submitted_orders(simulator) == []


# --- 2. a crafted withdraw: never a draft, never a line, never someone else's ----------------

async def test_a_crafted_home_cancel_cannot_cancel_a_draft(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    request_id = view["private_metadata"]
    for user in (REQUESTER, APPROVER):
        home = await open_home(driver, slack, user)
        before = len(slack.calls_to("chat.postMessage"))
        await driver.click_view_button(user, home, "home_cancel", request_id)
        told = await eventually(lambda u=user, b=before: dms_to(slack, u, b))
        assert "never sent for approval" in told[0] and "Nothing was changed" in told[0]
        stored = await bot.ctx.repo.get(request_id)
        assert stored is not None and stored.state is RequestState.DRAFT
        assert stored.decided_by is None and stored.decided_at is None
    # Still the requester's to send: the form works as if nothing had happened.
    before = len(slack.calls_to("chat.postMessage"))
    answer = await driver.submit_view(REQUESTER, view, fill_form(view))
    assert answer.status_code == 200 and answer.text.strip() in ("", "{}")
    await eventually(lambda: any(c.ok and c.args.get("channel") == APPROVAL_CHANNEL
                                 for c in slack.calls_to("chat.postMessage")[before:]))
    assert submitted_orders(simulator) == []


async def test_a_crafted_cancel_or_approve_cannot_act_on_a_leavers_line(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    offboarding_id, channel, ts, lines = await _leavers_request(bot, driver, slack)
    home = await open_home(driver, slack, REQUESTER)
    approver_home = await open_home(driver, slack, APPROVER)
    message = dict(slack.messages[(channel, ts)])
    # From the Home (the requester's withdraw, the approver's Approve and Cancel) and from
    # the leaver's approval message itself, with a single order's buttons.
    before = len(slack.calls_to("chat.postMessage"))
    await driver.click_view_button(REQUESTER, home, "home_cancel", lines[0].id)
    await driver.click_view_button(APPROVER, approver_home, "home_cancel", lines[1].id)
    await driver.click_view_button(APPROVER, approver_home, "home_approve", lines[2].id)
    told = await eventually(lambda: len(dms_to(slack, REQUESTER, before)) == 1 and
                            len(dms_to(slack, APPROVER, before)) == 2 and
                            dms_to(slack, REQUESTER, before) + dms_to(slack, APPROVER, before))
    ephemerals = len(slack.calls_to("chat.postEphemeral"))
    for action, line in (("cancel_request", lines[0]), ("approve_request", lines[1])):
        await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                                  action_id=action, value=line.id)
    told += await eventually(lambda: len(ephemerals_to(slack, APPROVER, ephemerals)) == 2 and
                             ephemerals_to(slack, APPROVER, ephemerals))
    for text in told:
        assert "part of an /offboard-lines request" in text and "Nothing was changed" in text
    assert await _states(bot, offboarding_id) == (OffboardingState.PENDING,
                                                  [RequestState.PENDING] * 3)
    assert slack.messages[(channel, ts)] == message  # the leaver's message as it was
    assert submitted_orders(simulator) == []


async def test_a_crafted_home_cancel_cannot_withdraw_someone_elses_request(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    view, channel, ts = await pending_order(driver, slack)
    request_id = view["private_metadata"]
    home = await open_home(driver, slack, OTHER)
    message = dict(slack.messages[(channel, ts)])
    before = len(slack.calls_to("chat.postMessage"))
    await driver.click_view_button(OTHER, home, "home_cancel", request_id)
    told = await eventually(lambda: dms_to(slack, OTHER, before))
    assert "Only the requester or an approver" in told[0]
    stored = await bot.ctx.repo.get(request_id)
    assert stored is not None and stored.state is RequestState.PENDING
    assert slack.messages[(channel, ts)] == message


# --- 3. a clicked message is adopted only when its metadata names the request ---------------

async def test_a_click_cannot_bind_another_requests_message(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    shown, channel, ts = await pending_order(driver, slack)
    held = await held_request(driver, slack, "415-555-0199")
    message = dict(slack.messages[(channel, ts)])
    # Approve pressed on the first request's message, carrying the held request's id.
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request", value=held)
    notice = await eventually(lambda: ephemerals_to(slack, APPROVER, 0))
    assert "nothing was changed" in notice[0].lower()
    stored = await bot.ctx.repo.get(held)
    assert stored is not None and stored.state is RequestState.PENDING
    assert stored.approval_ts is None and stored.approval_channel is None
    first = await bot.ctx.repo.get_by_message(channel, ts)
    assert first is not None and first.id == shown["private_metadata"]
    assert first.state is RequestState.PENDING
    assert slack.messages[(channel, ts)] == message
    assert submitted_orders(simulator) == []


async def test_a_click_cannot_bind_another_requests_message_to_a_leavers_request(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    _, channel, ts = await pending_order(driver, slack)
    offboarding_id = await held_offboarding(driver, slack, ALL_THREE)
    message = dict(slack.messages[(channel, ts)])
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding", value=offboarding_id)
    notice = await eventually(lambda: ephemerals_to(slack, APPROVER, 0))
    assert "nothing was changed" in notice[0].lower()
    stored = await bot.ctx.offboarding.get(offboarding_id)
    assert stored is not None and stored.approval_ts is None
    assert await _states(bot, offboarding_id) == (OffboardingState.PENDING,
                                                  [RequestState.PENDING] * 3)
    assert slack.messages[(channel, ts)] == message
    assert submitted_orders(simulator) == []


# --- 4. withdrawn before its approval message went out: the message never goes -------------

async def test_a_request_withdrawn_while_its_message_waits_in_the_queue_never_gets_one(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    first = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    second = await open_form(driver, slack, "/suspend-line", "415-555-0199")
    withdrawn = str(second["private_metadata"])
    # Slack holds the first request's message back (429, retried after 3 s): the second
    # one's waits in the queue behind it, not sent.
    slack.fail_next("chat.postMessage", retry_after=3)
    await driver.submit_view(REQUESTER, first, fill_form(first))
    await eventually(lambda: slack.refused_for_rate("chat.postMessage") == 1)
    await driver.submit_view(REQUESTER, second, fill_form(second))
    await eventually(lambda: _queued(bot, withdrawn))
    home = await open_home(driver, slack, REQUESTER)
    await driver.click_view_button(REQUESTER, home, "home_cancel", withdrawn)
    await eventually(lambda: _cancelled(bot, withdrawn))
    # The first message goes out once Slack lets it; the withdrawn one would follow it.
    posted = await eventually(lambda: _approval_posts(slack, first["private_metadata"]))
    await bot.ctx.outbox.deliver()
    assert _approval_posts(slack, withdrawn) == []
    assert buttons(slack.messages[(posted[0].response["channel"], posted[0].response["ts"])])
    stored = await bot.ctx.repo.get(withdrawn)
    assert stored is not None and stored.approval_ts is None
    async with bot.ctx.repo._sessions() as session:
        calls = list(await session.scalars(select(OutboxRow).where(
            OutboxRow.request_id == withdrawn, OutboxRow.purpose == APPROVAL)))
    assert len(calls) == 1 and calls[0].sent_at is not None
    assert calls[0].last_error == DROPPED  # taken off the queue, never sent
    assert submitted_orders(simulator) == []


async def test_a_request_withdrawn_while_its_message_was_on_its_way_loses_the_buttons(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    # Slack takes the post but its answer is lost (later than the bot waits), and the first
    # looks for it fail: the message is out (it can't be called back) but not recorded when
    # the request is withdrawn.
    view = await open_form(driver, slack, "/suspend-line", "415-555-0199")
    slack.answer_late("chat.postMessage", 30, channel=APPROVAL_CHANNEL)
    slack.fail_next("conversations.history", error="internal_error", status=500,
                    retry_after=None, times=3)
    assert (await driver.submit_view(REQUESTER, view, fill_form(view))).status_code == 200
    held = str(view["private_metadata"])
    await eventually(lambda: any(
        ((m.get("metadata") or {}).get("event_payload") or {}).get("request_id") == held
        for m in slack.messages.values()))
    notices = len(slack.calls_to("chat.postEphemeral"))
    home = await open_home(driver, slack, REQUESTER)
    await driver.click_view_button(REQUESTER, home, "home_cancel", held)
    await eventually(lambda: _cancelled(bot, held))
    stored = await eventually(lambda: with_approval_message(bot, held), within=15)

    def without_buttons() -> dict[str, Any] | None:
        message = slack.messages.get((stored.approval_channel, stored.approval_ts))
        return message if message is not None and not buttons(message) else None

    message = await eventually(without_buttons)
    assert "Cancelled by <@URequester>" in all_text(message)
    await bot.ctx.outbox.deliver()
    # Nobody is told it waits for an approver.
    assert not any("waiting for an approver" in t
                   for t in ephemerals_to(slack, REQUESTER, notices))
    assert submitted_orders(simulator) == []


async def _queued(bot: RunningBot, request_id: str) -> bool:
    """Its approval message is in the queue, not sent."""
    async with bot.ctx.repo._sessions() as session:
        return bool(list(await session.scalars(select(OutboxRow.id).where(
            OutboxRow.request_id == request_id, OutboxRow.purpose == APPROVAL,
            OutboxRow.sent_at.is_(None)))))


async def _cancelled(bot: RunningBot, request_id: str) -> bool:
    stored = await bot.ctx.repo.get(request_id)
    return stored is not None and stored.state is RequestState.CANCELLED


# --- 5. a leaver's request and its lines move in one transaction -------------------------

async def test_a_crash_right_after_cancelling_a_leavers_request_leaves_no_line_waiting(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    offboarding_id, channel, ts, _ = await _leavers_request(bot, driver, slack)
    kills: list[str] = []
    die_right_after(bot.ctx.offboarding.repo, "transition", OffboardingState.CANCELLED, kills)
    await driver.click_button(REQUESTER, channel_id=channel, message_ts=ts,
                              action_id="cancel_offboarding")
    await crashed(kills)
    assert await _states(bot, offboarding_id) == (OffboardingState.CANCELLED,
                                                  [RequestState.CANCELLED] * 3)
    for line in await bot.ctx.offboarding.repo.orders(offboarding_id):
        assert line.decided_by == REQUESTER and line.decided_at is not None
    assert submitted_orders(simulator) == []


async def test_a_crash_right_after_a_leavers_request_expired_leaves_no_line_waiting(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, clock: Clock) -> None:
    bot = await start_test_bot(APPROVAL_TTL_HOURS=1)
    offboarding_id, _, _, _ = await _leavers_request(bot, driver_for(bot), slack)
    kills: list[str] = []
    die_right_after(bot.ctx.offboarding.repo, "transition", OffboardingState.EXPIRED, kills)
    clock.past(3601)
    await crashed(kills)
    assert await _states(bot, offboarding_id) == (OffboardingState.EXPIRED,
                                                  [RequestState.EXPIRED] * 3)
    assert submitted_orders(simulator) == []
