"""The help-desk reply and what follows an approval message are queued with the change that
calls for them: Slack failing at that moment, a redelivered event, two replicas or a crash
right after the change neither lose them nor double them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import select

from bot.demo import fill_form
from bot.domain import HelpdeskTicket
from bot.runtime import RunningBot
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from bot.storage.tables import HelpdeskTicketRow, OutboxRow
from tests.conftest import APPROVAL_CHANNEL, HELPDESK, REQUESTER, BotFactory, DriverFactory
from tests.support.crash import Killed
from tests.support.flow import all_text
from tests.support.helpdesk_flow import (
    AGENT,
    EMPLOYEE,
    start_buttons,
    start_order_from_reply,
)
from tests.support.offboarding_flow import ALL_THREE, details_for
from tests.support.processes import free_port
from tests.support.slack_reading import bot_replies

TEXT = "my phone was stolen, please suspend 404-555-3104"


def fail_slack(slack: FakeSlackWebAPI, bot: RunningBot, how: str) -> None:
    """Slack fails every attempt the client makes (its own retries included) for a while."""
    if how == "server_error":
        slack.fail_next("chat.postMessage", error="internal_error", status=500,
                        retry_after=None, times=4)
    elif how == "rate_limited":
        slack.fail_next("chat.postMessage", status=429, retry_after=1, times=5)
    else:  # the connection: nothing answers at Slack's address
        bot.ctx.outbox.client.base_url = f"http://127.0.0.1:{free_port()}/api/"


@pytest.mark.parametrize("how", ["server_error", "rate_limited", "connection"])
async def test_slack_failing_at_the_reply_still_answers_once(
        how: str, bot: RunningBot, driver: Any, slack: FakeSlackWebAPI) -> None:
    real_url = bot.ctx.outbox.client.base_url
    # Slack's first request signs the bot in (auth.test): that is done before Slack fails.
    await driver.post_message(EMPLOYEE, HELPDESK, "good morning, nothing to order")
    fail_slack(slack, bot, how)
    ts, answer = await driver.post_message(EMPLOYEE, HELPDESK, TEXT)
    assert answer is not None and answer.status_code == 200
    if how == "connection":
        # Slack comes back once the bot has tried, and failed, to reach it.
        await eventually(lambda: _failed_attempt(bot, ts), within=20)
        bot.ctx.outbox.client.base_url = real_url
    reply = (await eventually(lambda: bot_replies(slack, HELPDESK, ts), within=20))[0]
    assert [b["text"]["text"] for b in start_buttons(reply)] == ["Start suspend order"]
    # Later rounds send nothing more for it.
    await bot.follower.poll_once()
    await bot.follower.poll_once()
    assert len(bot_replies(slack, HELPDESK, ts)) == 1


async def test_a_redelivery_after_a_failed_reply_gets_one_reply(
        bot: RunningBot, driver: Any, slack: FakeSlackWebAPI) -> None:
    """Slack sends the event again (our answer was slow) while its first reply failed: one
    reply, not none (the retry is not taken for "answered") and not two."""
    slack.fail_next("chat.postMessage", error="internal_error", status=500, retry_after=None,
                    times=4)
    ts, _ = await driver.post_message(EMPLOYEE, HELPDESK, TEXT)
    event = {"type": "message", "channel": HELPDESK, "user": EMPLOYEE, "text": TEXT,
             "ts": ts, "channel_type": "channel"}
    for retry in (1, 2):
        assert (await driver.event(event, retry_num=retry)).status_code == 200
    await eventually(lambda: bot_replies(slack, HELPDESK, ts), within=20)
    later, _ = await driver.post_message(EMPLOYEE, HELPDESK, "lost 415-555-0199")
    await eventually(lambda: bot_replies(slack, HELPDESK, later))
    await bot.follower.poll_once()
    assert len(bot_replies(slack, HELPDESK, ts)) == 1


async def test_two_replicas_hearing_one_message_reply_once(
        start_test_bot: BotFactory, driver_for: DriverFactory,
        slack: FakeSlackWebAPI) -> None:
    """Slack sends the event to one replica, and again (with retry headers) to another while
    the first one's reply fails: one reply queued, so one posted."""
    first, second = await start_test_bot(), await start_test_bot()
    slack.fail_next("chat.postMessage", error="internal_error", status=500, retry_after=None,
                    times=4)
    ts = slack.add_user_message(EMPLOYEE, HELPDESK, TEXT)
    event = {"type": "message", "channel": HELPDESK, "user": EMPLOYEE, "text": TEXT,
             "ts": ts, "channel_type": "channel"}
    answers = await asyncio.gather(driver_for(first).event(event),
                                   driver_for(second).event(event, retry_num=1))
    assert all(a.status_code == 200 for a in answers)
    await eventually(lambda: bot_replies(slack, HELPDESK, ts), within=20)
    for bot in (first, second):
        await bot.follower.poll_once()
    assert len(bot_replies(slack, HELPDESK, ts)) == 1
    assert await _reply_calls(first, ts) == 1


async def test_the_shortcut_reply_survives_slack_failing(
        bot: RunningBot, driver: Any, slack: FakeSlackWebAPI) -> None:
    ts, _ = await driver.post_message(EMPLOYEE, "CGENERAL", "phone lost: 415-555-0199")
    slack.fail_next("chat.postMessage", error="internal_error", status=500, retry_after=None,
                    times=4)
    await driver.message_shortcut(AGENT, "create_line_order", channel_id="CGENERAL",
                                  message_ts=ts)
    await eventually(lambda: bot_replies(slack, "CGENERAL", ts), within=20)
    # Using it again on the same message does not answer it twice.
    await driver.message_shortcut(AGENT, "create_line_order", channel_id="CGENERAL",
                                  message_ts=ts)
    await eventually(lambda: any(c.args.get("user") == AGENT and "already" in all_text(c.args)
                                 for c in slack.calls_to("chat.postEphemeral")))
    assert len(bot_replies(slack, "CGENERAL", ts)) == 1


async def test_a_crash_right_after_the_approval_message_is_recorded_loses_nothing(
        start_test_bot: BotFactory, driver_for: DriverFactory,
        slack: FakeSlackWebAPI) -> None:
    """The bot dies in the instant after it recorded the posted approval message: after a
    restart the requester still gets the message's link and the help-desk thread its note,
    once each."""
    first = await start_test_bot()
    driver = driver_for(first)
    ts, _ = await driver.post_message(EMPLOYEE, HELPDESK, TEXT)
    view = await start_order_from_reply(driver, slack, ts)
    real = first.ctx.repo.approval_posted
    kills: list[str] = []

    async def dies_right_after(*args: Any) -> None:
        await real(*args)
        if not kills:
            kills.append(str(args[1]))
            raise Killed("killed right after recording the approval message")

    first.ctx.repo.approval_posted = dies_right_after  # type: ignore[method-assign]
    await driver.submit_view(AGENT, view, fill_form(view))
    await eventually(lambda: kills)
    await first.stop()
    second = await start_test_bot()
    request_id = view["private_metadata"]
    request = await second.ctx.repo.get(request_id)
    assert request is not None and request.approval_ts
    link = f"archives/{APPROVAL_CHANNEL}/p{request.approval_ts.replace('.', '')}"

    def links() -> list[Any]:
        return [c for c in slack.calls_to("chat.postEphemeral") + slack.calls_to(
            "chat.postMessage") if c.ok and c.args.get("user", c.args.get("channel")) == AGENT
            and "waiting for an approver" in all_text(c.args)]

    def notes() -> list[dict[str, Any]]:
        return [m for m in bot_replies(slack, HELPDESK, ts)
                if "waiting for an approver" in all_text(m)]

    await eventually(lambda: links() and notes(), within=20)
    await second.follower.poll_once()
    await second.follower.poll_once()
    assert len(links()) == 1 and link in all_text(links()[0].args)
    assert len(notes()) == 1 and link in all_text(notes()[0])
    stored = await second.ctx.repo.get(request_id)
    assert stored is not None and stored.approval_permalink and link in stored.approval_permalink


async def test_a_crash_right_after_a_bundle_message_is_recorded_loses_nothing(
        start_test_bot: BotFactory, driver_for: DriverFactory,
        slack: FakeSlackWebAPI) -> None:
    first = await start_test_bot()
    details = await details_for(driver_for(first), slack, ALL_THREE)
    real = first.ctx.offboarding.repo.approval_posted
    kills: list[str] = []

    async def dies_right_after(*args: Any) -> None:
        await real(*args)
        if not kills:
            kills.append(str(args[1]))
            raise Killed("killed right after recording the approval message")

    first.ctx.offboarding.repo.approval_posted = dies_right_after  # type: ignore[method-assign]
    await driver_for(first).submit_view(REQUESTER, details, fill_form(details))
    await eventually(lambda: kills, within=15)
    await first.stop()
    second = await start_test_bot()

    def links() -> list[Any]:
        return [c for c in slack.calls_to("chat.postEphemeral") if c.ok and
                c.args.get("user") == REQUESTER and
                "waiting for an approver" in c.args.get("text", "")]

    await eventually(links, within=20)
    await second.follower.poll_once()
    await second.follower.poll_once()
    stored = await second.ctx.offboarding.get(details["private_metadata"])
    assert stored is not None and stored.approval_ts
    assert len(links()) == 1
    assert f"p{stored.approval_ts.replace('.', '')}" in all_text(links()[0].args)


async def test_a_ticket_an_older_version_left_unanswered_gets_its_reply(
        bot: RunningBot, slack: FakeSlackWebAPI) -> None:
    """An older version recorded each ticket and then posted its reply directly: for one
    message Slack failed at that moment, for another the reply went out. The first gets its
    reply, once; the second is not answered twice."""
    lost = slack.add_user_message(EMPLOYEE, HELPDESK, TEXT)
    answered = slack.add_user_message(EMPLOYEE, HELPDESK, "lost my phone 415-555-0199")
    client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    await client.chat_postMessage(channel=HELPDESK, thread_ts=answered,
                                  text="About line (415) 555-0199: start a suspend order?")
    for ticket_id, ts, text in (("legacy-lost", lost, TEXT),
                                ("legacy-answered", answered, "lost my phone 415-555-0199")):
        await bot.ctx.repo.add_ticket(HelpdeskTicket(
            id=ticket_id, channel=HELPDESK, message_ts=ts, poster_id=EMPLOYEE, text=text,
            service_number="4045553104" if ticket_id == "legacy-lost" else "4155550199"))
    reply = (await eventually(lambda: bot_replies(slack, HELPDESK, lost), within=15))[0]
    assert [b["value"] for b in start_buttons(reply)] == ["legacy-lost:SUSPEND"]
    await eventually(lambda: len(slack.calls_to("conversations.replies")) >= 2)
    for _ in range(3):
        await bot.follower.poll_once()
    assert len(bot_replies(slack, HELPDESK, lost)) == 1
    assert len(bot_replies(slack, HELPDESK, answered)) == 1
    # Each was looked at once: the answered one is recorded as answered.
    assert len(slack.calls_to("conversations.replies")) == 2


async def _failed_attempt(bot: RunningBot, ts: str) -> bool:
    """The reply to the message ``ts`` is queued and an attempt to send it failed."""
    async with bot.ctx.repo._sessions() as session:  # a test reads the rows as they are
        found = await session.scalar(
            select(OutboxRow.last_error)
            .join(HelpdeskTicketRow, HelpdeskTicketRow.id == OutboxRow.request_id)
            .where(HelpdeskTicketRow.message_ts == ts, OutboxRow.sent_at.is_(None)))
        return found is not None


async def _reply_calls(bot: RunningBot, ts: str) -> int:
    """How many reply calls were ever queued for the message ``ts``."""
    async with bot.ctx.repo._sessions() as session:
        return len(list(await session.scalars(
            select(OutboxRow.id)
            .join(HelpdeskTicketRow, HelpdeskTicketRow.id == OutboxRow.request_id)
            .where(HelpdeskTicketRow.message_ts == ts))))
