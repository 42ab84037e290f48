"""Nothing is lost, whatever the timing: each test injects one timing or Slack fault and
follows the flow through signed requests to the approval message."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.demo import fill_form
from bot.domain import RequestState
from bot.effects.outbox import APPROVAL
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI, RateLimits
from bot.slack_standin.polling import eventually
from bot.storage.database import create_engine
from bot.storage.outbox_queue import QueuedCall
from bot.storage.requests import RequestRepository
from tests.conftest import (
    APPROVAL_CHANNEL,
    REQUESTER,
    SLOW_MOBPROC,
    BotFactory,
    DriverFactory,
)
from tests.support.flow import all_text, open_form, pending_order, submitted_orders
from tests.support.waiting import request_in, with_approval_message


def approval_posts(slack: FakeSlackWebAPI, channel: str = APPROVAL_CHANNEL
                   ) -> list[dict[str, Any]]:
    """Approval messages as Slack holds them (thread replies excluded)."""
    return [m for (c, _), m in slack.messages.items()
            if c == channel and not m.get("thread_ts") and m.get("user") == "UBOT"]


async def posted_once(bot: RunningBot, slack: FakeSlackWebAPI, request_id: str) -> None:
    """The request's approval message is posted, recorded, and the only one for it."""
    request = await eventually(lambda: with_approval_message(bot, request_id), within=20)
    mine = [m for m in approval_posts(slack)
            if request.external_order_number in all_text(m)]
    assert [m["ts"] for m in mine] == [request.approval_ts]


def slow_mobproc(simulator: RunningSimulator, seconds: float) -> None:
    """Every MobProc call answers after ``seconds``."""
    for method, path in (("GET", r"/v1/"), ("POST", r"/orders$")):
        simulator.state.add_fault(method, path, delay=seconds, times=10_000)


@pytest.mark.bot_settings(**SLOW_MOBPROC)
async def test_a_listener_that_starts_late_still_answers_in_time(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    """Slack's 3 s count from when the request arrived. A submission whose listener starts
    2 s late (a loaded machine) does not give MobProc its whole budget again: it answers
    at once that the order is being checked, then shows the confirmation."""
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")

    async def loaded_machine(next_: Any) -> None:
        await asyncio.sleep(2.0)
        await next_()

    bot.app.use(loaded_machine)
    simulator.state.add_fault("POST", r"/orders$", delay=1.2)
    answer = await driver.submit_view(REQUESTER, view, fill_form(view))
    assert answer.status_code == 200
    assert "checking your order" in all_text(answer.json()["view"])
    await slack.wait_for(lambda: "MobProc confirmed" in all_text(slack.views[view["id"]]))
    await posted_once(bot, slack, view["private_metadata"])


@pytest.mark.bot_settings(**SLOW_MOBPROC)
async def test_mobproc_slower_than_slack_waits_loses_nobody(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    """MobProc answering in 3 s, several people at once: every one gets the form, the
    confirmation in the view they submitted, and one approval message, and nobody reads
    that nothing was sent."""
    slow_mobproc(simulator, 3.0)
    people = 3
    # One after the other: the helper tells forms apart by order. Each still takes 6 s.
    views = [await open_form(driver, slack, "/suspend-line", "404-555-3104")
             for _ in range(people)]
    assert len({v["id"] for v in views}) == people
    answers = await asyncio.gather(*(driver.submit_view(REQUESTER, v, fill_form(v))
                                     for v in views))
    assert all(a.status_code == 200 for a in answers)
    flows = [(v, a.json()["view"]) for v, a in zip(views, answers, strict=True)]
    for view, answered in flows:
        assert "checking your order" in all_text(answered)
        await slack.wait_for(lambda v=view: "MobProc confirmed" in all_text(
            slack.views[v["id"]]), within=20)
        await posted_once(bot, slack, view["private_metadata"])
    assert len(approval_posts(slack)) == people
    assert not any("nothing was sent" in all_text(v) for v in slack.views.values())


async def test_a_repeated_submit_says_where_the_request_waits(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    view, channel, ts = await pending_order(driver, slack)
    request = await eventually(lambda: _permalinked(bot, view["private_metadata"]))
    answer = await driver.submit_view(REQUESTER, view, fill_form(view))
    shown = all_text(answer.json()["view"])
    assert "already sent" in shown and request.approval_permalink in shown
    assert f"<#{channel}>" in shown
    assert len(approval_posts(slack)) == 1 and slack.messages[(channel, ts)]


async def _permalinked(bot: RunningBot, request_id: str):  # type: ignore[no-untyped-def]
    request = await bot.ctx.repo.get(request_id)
    return request if request is not None and request.approval_permalink else None


@pytest.mark.bot_settings(**SLOW_MOBPROC)
async def test_a_submit_repeated_while_mobproc_checks_posts_one_message(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    """The person presses the button again while the first confirmation is still out: both
    confirmations complete, one request goes for approval, once."""
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    simulator.state.add_fault("POST", r"/orders$", delay=3.0, times=2)
    first, second = await asyncio.gather(
        driver.submit_view(REQUESTER, view, fill_form(view)),
        driver.submit_view(REQUESTER, view, fill_form(view)))
    assert all(a.status_code == 200 for a in (first, second))
    await posted_once(bot, slack, view["private_metadata"])
    await slack.wait_for(lambda: "MobProc confirmed" in all_text(slack.views[view["id"]])
                         or "already sent" in all_text(slack.views[view["id"]]), within=15)
    assert len(approval_posts(slack)) == 1


async def test_a_pending_request_left_without_its_message_gets_it_once(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    """A crash between MobProc's confirmation and queueing the approval message (or a
    request an older version left so): after a restart, with two replicas on the one
    database, the message is posted exactly once and the request can be approved."""
    first = await start_test_bot()
    driver = driver_for(first)
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    # What the crash leaves: confirmed and pending, no message, nothing queued.
    await first.ctx.orders.repo.transition(view["private_metadata"], [RequestState.DRAFT],
                                           RequestState.PENDING)
    await first.stop()
    replicas = [await start_test_bot(), await start_test_bot()]
    await posted_once(replicas[0], slack, view["private_metadata"])
    await asyncio.gather(*(r.follower.poll_once() for r in replicas))
    await posted_once(replicas[1], slack, view["private_metadata"])
    request = await replicas[0].ctx.repo.get(view["private_metadata"])
    assert request is not None and request.approval_channel and request.approval_ts
    await driver_for(replicas[1]).click_button(
        "UAPPROVER", channel_id=request.approval_channel, message_ts=request.approval_ts,
        action_id="approve_request")
    await eventually(lambda: len(submitted_orders(simulator)) == 1, within=15)


async def test_slack_failing_for_a_while_delays_the_approval_message_only(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    """Server errors and 429s beyond the client's own retries: the request stays pending
    and its message goes out once Slack answers, never cancelled."""
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    slack.fail_next("chat.postMessage", error="internal_error", status=500,
                    retry_after=None, times=4)
    slack.fail_next("chat.postMessage", status=429, retry_after=1, times=5)
    answer = await driver.submit_view(REQUESTER, view, fill_form(view))
    assert answer.text.strip() in ("", "{}")
    await posted_once(bot, slack, view["private_metadata"])
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.state is RequestState.PENDING
    assert not any("couldn't post" in all_text(c.args) for c in slack.calls
                   if c.method in ("chat.postMessage", "chat.postEphemeral"))


async def test_a_burst_to_one_rate_limited_channel_is_paced_and_delivered(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    """Slack's real limit on, 20 people at once: every approval message reaches the one
    approval channel, none is cancelled, nobody is told to invite the bot."""
    people = 20
    views = [await open_form(driver, slack, "/suspend-line", "404-555-3104")
             for _ in range(people)]
    assert len({v["id"] for v in views}) == people
    slack.rate_limits = RateLimits()
    answers = await asyncio.gather(*(driver.submit_view(REQUESTER, v, fill_form(v))
                                     for v in views))
    assert all(a.status_code == 200 for a in answers)
    for view in views:
        await posted_once(bot, slack, view["private_metadata"])
    assert len(approval_posts(slack)) == people
    for view in views:
        request = await bot.ctx.repo.get(view["private_metadata"])
        assert request is not None and request.state is RequestState.PENDING
    assert not any("/invite" in all_text(c.args) for c in slack.calls)


async def test_a_permanent_refusal_cancels_and_tells_the_matching_fix(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    for channel, fix in (("CNOTMEMBER", "/invite @mobproc-bot"),
                         ("CGONE", "APPROVAL_CHANNEL")):
        bot = await start_test_bot(APPROVAL_CHANNEL=channel)
        driver = driver_for(bot)
        view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
        await driver.submit_view(REQUESTER, view, fill_form(view))
        notice = await slack.wait_for(lambda fix=fix: next(  # type: ignore[misc]
            (c for c in slack.calls if c.method in ("chat.postEphemeral", "chat.postMessage")
             and c.ok and "couldn't post your request" in all_text(c.args)
             and fix in all_text(c.args)), None))
        assert notice is not None
        request = await bot.ctx.repo.get(view["private_metadata"])
        assert request is not None and request.state is RequestState.CANCELLED
        await bot.stop()
    assert not submitted_orders(simulator)


async def test_stopped_between_slack_accepting_the_post_and_recording_it(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    """The sender dies in the instant after Slack accepted the approval message and before
    the bot recorded it. The sender that takes the call over finds the message in the
    channel by its metadata and records it: still one message, and its buttons act."""
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    real = bot.ctx.repo.approval_posted
    attempts: list[tuple[Any, ...]] = []

    async def dies_the_first_time(*args: Any) -> None:
        attempts.append(args)
        if len(attempts) == 1:
            raise RuntimeError("killed between Slack's answer and the database")
        await real(*args)

    bot.ctx.repo.approval_posted = dies_the_first_time  # type: ignore[method-assign]
    answer = await driver.submit_view(REQUESTER, view, fill_form(view))
    assert answer.status_code == 200
    await posted_once(bot, slack, view["private_metadata"])
    assert len(attempts) == 2 and slack.calls_to("conversations.history")
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.approval_channel and request.approval_ts
    await driver.click_button("UAPPROVER", channel_id=request.approval_channel,
                              message_ts=request.approval_ts, action_id="approve_request")
    await eventually(lambda: request_in(bot, view["private_metadata"], RequestState.SUBMITTED),
                     within=15)


async def test_another_senders_attempt_between_the_look_and_the_claim_is_seen(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        database_url: str) -> None:
    """Between this sender's look at the queue and its claim, another replica's sender
    takes the approval call, posts it, loses Slack's answer and lets the call go. The claim
    says so, not the earlier look: the message is found in the channel by its metadata and
    recorded, not posted a second time."""
    other = create_engine(database_url)
    other_repo = RequestRepository(other)
    other_client = AsyncWebClient(token=slack.bot_token, base_url=slack.base_url)
    real_look = bot.ctx.repo.queued_calls
    raced: list[int] = []

    async def look_then_the_other_sender() -> list[QueuedCall]:
        calls = await real_look()
        for call in calls:
            if call.purpose == APPROVAL and not raced:
                raced.append(call.id)
                claim = await other_repo.claim_call(call.id, datetime.now(UTC))
                assert claim
                await other_client.api_call(call.method, json=dict(call.args))
                await other_repo.call_failed(call.id, "ServerDisconnectedError", claim.attempt)
        return calls

    bot.ctx.repo.queued_calls = look_then_the_other_sender  # type: ignore[method-assign]
    try:
        view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
        await driver.submit_view(REQUESTER, view, fill_form(view))
        await posted_once(bot, slack, view["private_metadata"])
    finally:
        await other.dispose()
    assert raced and slack.calls_to("conversations.history")
    assert len(approval_posts(slack)) == 1


async def test_a_failure_while_recording_the_confirmation_is_shown_and_can_be_retried(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    """The database fails just as MobProc's confirmation is stored: the person gets the form
    back saying nothing was sent (true: the request is still a draft), and submitting again
    sends it for approval, once."""
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    real = bot.ctx.repo.save_confirmation
    failed: list[bool] = []

    async def fails_once(*args: Any, **kwargs: Any) -> bool:
        if not failed:
            failed.append(True)
            raise ConnectionError("database went away")
        return await real(*args, **kwargs)

    bot.ctx.repo.save_confirmation = fails_once  # type: ignore[method-assign]
    answer = await driver.submit_view(REQUESTER, view, fill_form(view))
    shown = answer.json()["view"]
    assert "nothing was sent" in all_text(shown) and shown.get("submit")
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.state is RequestState.DRAFT
    again = await driver.submit_view(REQUESTER, view, fill_form(view))
    assert again.text.strip() in ("", "{}")
    await posted_once(bot, slack, view["private_metadata"])
