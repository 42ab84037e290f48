"""Machine-readable messages: every message about a line order, from its approval message to
its last status, carries Slack message metadata of one event type, ``mobproc_line_order``,
with the same keys all along (README, "Message metadata"), read back from Slack; an
approval message posted by an earlier version (its old event type) is still its request's."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from blocks.approval.metadata import BUNDLE_KEYS, LINE_ORDER_KEYS
from bot.demo import fill_form
from bot.domain import RequestState
from bot.effects.outbox import LEGACY_APPROVAL_EVENT
from bot.mobproc import assumed
from bot.offboarding.models import OffboardingState
from bot.runtime import RunningBot
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVAL_CHANNEL, APPROVER, BOT_TOKEN, HELPDESK, Clock
from tests.support.flow import approved_order, held_request, submitted_orders
from tests.support.helpdesk_flow import AGENT, EMPLOYEE, start_buttons
from tests.support.offboarding_flow import (
    ALL_THREE,
    LENA_LINES,
    details_for,
    held_offboarding,
    send_for_approval,
)
from tests.support.slack_reading import bot_replies
from tests.support.waiting import nothing_queued

EVENT = "mobproc_line_order"
# The outbox's own marks on what it posts (to find a post again), not the contract's.
OUTBOX_MARKS = {"effect_id", "effect_key"}


def payload_of(metadata: Any) -> dict[str, Any]:
    """The contract's payload of a message's metadata, which must be the line order's."""
    assert isinstance(metadata, dict) and metadata["event_type"] == EVENT, metadata
    return {k: v for k, v in metadata["event_payload"].items() if k not in OUTBOX_MARKS}


def updates_of(slack: FakeSlackWebAPI, channel: str, ts: str) -> list[dict[str, Any]]:
    """The metadata of every update of the message Slack took, in order."""
    return [c.args["metadata"] for c in slack.calls_to("chat.update")
            if c.ok and (c.args.get("channel"), c.args.get("ts")) == (channel, ts)]


async def test_every_message_of_an_orders_life_carries_the_line_order(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any,
        clock: Clock) -> None:
    view, channel, ts = await approved_order(driver, slack, clock)
    request_id = str(view["private_metadata"])
    posted = next(c for c in slack.calls_to("chat.postMessage")
                  if c.ok and c.response["ts"] == ts)
    # On to the order's end, one MobProc status at a time.
    for _ in range(len(assumed.ORDER_STATUS_FLOW)):
        clock.advance(10)
    done = await eventually(lambda: _completed(bot, request_id), within=15)
    await eventually(lambda: nothing_queued(bot), within=15)
    (order,) = submitted_orders(simulator)
    assert done.order_id and done.order_status and assumed.is_final_status(done.order_status)

    approval = payload_of(posted.args["metadata"])
    updates = [payload_of(m) for m in updates_of(slack, channel, ts)]
    news = [payload_of(r.get("metadata")) for r in slack.thread_replies(channel, ts)]
    assert len(updates) == 2 and len(news) >= 3  # decided, completed; placed … complete
    every = [approval, *updates, *news]
    # One schema: the same keys on every message, only the values move.
    assert all(set(p) == LINE_ORDER_KEYS for p in every)
    line = {"request_id": request_id, "line": "+14045553104", "order_type": "SUSPEND"}
    assert all(p | line == p for p in every)
    assert approval == {**line, "state": "pending", "order_id": "", "mobproc_status": ""}
    # From its placing on, MobProc's order id, on every message.
    assert {p["order_id"] for p in [*updates, *news]} == {done.order_id}
    assert updates[0]["state"] == RequestState.SUBMITTED.value
    assert news[0]["state"] == RequestState.SUBMITTED.value and news[0]["mobproc_status"]
    # Each status change told with the status it tells, the last one completing it.
    statuses = [p["mobproc_status"] for p in news[1:]]
    assert statuses == list(dict.fromkeys(statuses)) and statuses[-1] == done.order_status
    assert [p["state"] for p in news[1:]] == \
        [RequestState.SUBMITTED.value] * (len(statuses) - 1) + [RequestState.COMPLETED.value]
    assert updates[-1] == {**line, "state": "completed", "order_id": done.order_id,
                           "mobproc_status": done.order_status}
    # What Slack holds now is the last update's.
    assert payload_of(slack.messages[(channel, ts)]["metadata"]) == updates[-1]
    assert order["body"]["orderRequest"]["transactionType"] == "SUSPEND"


async def _completed(bot: RunningBot, request_id: str) -> Any:
    stored = await bot.ctx.repo.get(request_id)
    return stored if stored is not None and stored.state is RequestState.COMPLETED else None


async def test_every_message_of_a_leavers_request_carries_its_lines(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any,
        clock: Clock) -> None:
    details = await details_for(driver, slack, ALL_THREE)
    offboarding_id = str(details["private_metadata"])
    channel, ts = await send_for_approval(driver, slack, details)
    approval = payload_of(slack.messages[(channel, ts)]["metadata"])
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    await eventually(lambda: len(submitted_orders(simulator)) == 3)
    for _ in range(len(assumed.ORDER_STATUS_FLOW)):
        clock.advance(10)
    await eventually(lambda: _ended(bot, offboarding_id), within=20)
    await eventually(lambda: nothing_queued(bot), within=15)
    lines = {o.service.id: o for o in await bot.ctx.offboarding.repo.orders(offboarding_id)}

    updates = [payload_of(m) for m in updates_of(slack, channel, ts)]
    news = [payload_of(r.get("metadata")) for r in slack.thread_replies(channel, ts)]
    every = [approval, *updates, *news]
    assert updates and news
    # One schema for the whole thread; each entry of ``lines`` a line order's.
    assert all(set(p) == BUNDLE_KEYS for p in every)
    assert all(p["request_id"] == offboarding_id for p in every)
    entries = [e for p in every for e in p["lines"]]
    assert all(set(e) == LINE_ORDER_KEYS for e in entries)
    by_line = {o.id: ("+1" + LENA_LINES[o.service.id], ALL_THREE[o.service.id])
               for o in lines.values()}
    assert all((e["line"], e["order_type"]) == by_line[e["request_id"]] for e in entries)

    # The approval message: every line, none ordered yet.
    assert approval["state"] == OffboardingState.PENDING.value
    assert sorted(e["request_id"] for e in approval["lines"]) == sorted(by_line)
    assert {(e["state"], e["order_id"], e["mobproc_status"]) for e in approval["lines"]} == \
        {(RequestState.PENDING.value, "", "")}
    # A line's own news tells only that line; the request's own news every line.
    one_line = [p for p in news if len(p["lines"]) == 1]
    assert {p["lines"][0]["request_id"] for p in one_line} == set(by_line)
    assert all(p["state"] == OffboardingState.APPROVED.value for p in one_line)
    placed = [e for p in one_line for e in p["lines"] if e["order_id"]]
    assert {e["order_id"] for e in placed} == {o.order_id for o in lines.values()}
    # The end: the summary and the message's last update, every line completed.
    for last in (news[-1], updates[-1]):
        assert last["state"] == OffboardingState.DONE.value
        assert {(e["request_id"], e["order_id"], e["state"], e["mobproc_status"])
                for e in last["lines"]} == {
            (o.id, o.order_id, RequestState.COMPLETED.value, o.order_status)
            for o in lines.values()}
    assert payload_of(slack.messages[(channel, ts)]["metadata"]) == updates[-1]


async def _ended(bot: RunningBot, offboarding_id: str) -> bool:
    stored = await bot.ctx.offboarding.get(offboarding_id)
    return stored is not None and stored.state is OffboardingState.DONE


@pytest.mark.parametrize("event_type", [EVENT, LEGACY_APPROVAL_EVENT])
async def test_a_message_naming_its_request_is_adopted_by_either_event_type(
        event_type: str, bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: Any) -> None:
    """The bot stopped between posting a request's approval message and recording it: the
    message (this version's, or one an earlier version posted with its old event type) is
    taken as the request's own when clicked, as its metadata names the request."""
    held = await held_request(driver, slack, "415-555-0199")
    ts = await _post_naming(slack, held, "approve_request", event_type)
    await driver.click_button(APPROVER, channel_id=APPROVAL_CHANNEL, message_ts=ts,
                              action_id="approve_request")
    stored = await eventually(lambda: _placed(bot, held), within=15)
    assert (stored.approval_channel, stored.approval_ts) == (APPROVAL_CHANNEL, ts)
    assert len(submitted_orders(simulator)) == 1


async def test_a_leavers_request_adopts_the_message_naming_it_as_a_single_one_does(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: Any) -> None:
    """The same Approve steps serve both kinds of request: a leaver's request whose message
    was posted but never recorded takes the clicked message as its own when its metadata
    names it, and each of its lines is placed once."""
    offboarding_id = await held_offboarding(driver, slack, ALL_THREE)  # its message held back
    ts = await _post_naming(slack, offboarding_id, "approve_offboarding", EVENT)
    await driver.click_button(APPROVER, channel_id=APPROVAL_CHANNEL, message_ts=ts,
                              action_id="approve_offboarding")
    await eventually(lambda: len(submitted_orders(simulator)) == len(ALL_THREE), within=15)
    stored = await bot.ctx.offboarding.get(offboarding_id)
    assert stored is not None and stored.state in (OffboardingState.APPROVED,
                                                   OffboardingState.DONE)
    assert (stored.approval_channel, stored.approval_ts) == (APPROVAL_CHANNEL, ts)
    assert not [c for c in slack.calls_to("chat.postEphemeral") if c.ok]


async def _post_naming(slack: FakeSlackWebAPI, request_id: str, action_id: str,
                       event_type: str) -> str:
    """An approval message the bot posted but never recorded (it stopped in between): its
    Approve button and its metadata name ``request_id``. Returns its ts."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)
    posted = await client.chat_postMessage(
        channel=APPROVAL_CHANNEL, text="Approval request",
        blocks=[{"type": "actions", "elements": [{
            "type": "button", "action_id": action_id, "value": request_id,
            "text": {"type": "plain_text", "text": "Approve"}}]}],
        metadata={"event_type": event_type, "event_payload": {"request_id": request_id}})
    return str(posted["ts"])


async def _placed(bot: RunningBot, request_id: str) -> Any:
    stored = await bot.ctx.repo.get(request_id)
    return stored if stored is not None and stored.order_id else None


async def test_the_help_desk_thread_hears_the_order_as_the_approval_thread_does(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    ts, _ = await driver.post_message(EMPLOYEE, HELPDESK, "Please suspend 404-555-3104")
    reply = (await eventually(lambda: bot_replies(slack, HELPDESK, ts)))[0]
    before = len(slack.calls_to("views.update"))
    await driver.click_button(AGENT, channel_id=HELPDESK, message_ts=reply["ts"],
                              action_id=start_buttons(reply)[0]["action_id"])
    update = await eventually(lambda: next((c for c in slack.calls_to("views.update")
                                            [before:] if c.ok), None))
    view = slack.views[update.response["view"]["id"]]
    await driver.submit_view(AGENT, view, fill_form(view))
    await eventually(lambda: len(bot_replies(slack, HELPDESK, ts)) == 2)
    request = await eventually(lambda: _placed_or_pending(bot, str(view["private_metadata"])))
    await driver.click_button(APPROVER, channel_id=request.approval_channel,
                              message_ts=request.approval_ts, action_id="approve_request")
    await eventually(lambda: len(bot_replies(slack, HELPDESK, ts)) == 3)  # placed
    for _ in range(len(assumed.ORDER_STATUS_FLOW)):
        clock.advance(10)
    await eventually(lambda: _completed(bot, request.id), within=15)
    await eventually(lambda: nothing_queued(bot), within=15)

    understood, *about_the_order = bot_replies(slack, HELPDESK, ts)
    # Before there was an order, the bot only said what it understood: no line order yet.
    assert (understood.get("metadata") or {}).get("event_type") != EVENT
    local = [payload_of(m.get("metadata")) for m in about_the_order]
    assert all(set(p) == LINE_ORDER_KEYS and p["request_id"] == request.id for p in local)
    assert local[0]["state"] == RequestState.PENDING.value  # waiting for an approver
    # Then the same news, with the same payloads, as in the approval thread.
    approval_thread = [payload_of(m.get("metadata")) for m in slack.thread_replies(
        request.approval_channel, request.approval_ts)]
    assert local[1:] == approval_thread and local[-1]["state"] == "completed"


async def _placed_or_pending(bot: RunningBot, request_id: str) -> Any:
    stored = await bot.ctx.repo.get(request_id)
    return stored if stored is not None and stored.approval_ts else None
