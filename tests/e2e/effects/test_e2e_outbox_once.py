"""Every post the outbox makes appears exactly once: when Slack's answer is lost after it
posted (a 5xx, a dropped connection, a late answer), when the bot is killed in between, and
when a sender held back past its claim meets the sender that took the call over."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from blocks.approval.metadata import LINE_ORDER_KEYS
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from bot.storage.database import create_engine
from bot.storage.outbox_queue import Claim
from bot.storage.requests import RequestRepository
from tests.conftest import REQUESTER, BotFactory, Clock, DriverFactory, bot_settings
from tests.support.flow import all_text, approve, buttons, pending_order
from tests.support.processes import start_bot_process
from tests.support.slack_reading import replies
from tests.support.waiting import nothing_queued

# A post whose answer is lost in each way Slack's answer can be lost after it posted.
LOST_ANSWERS = ["500 after posting", "connection dropped after posting"]


def lose_the_answer(slack: FakeSlackWebAPI, how: str, channel: str) -> None:
    """The next post to ``channel`` is made by Slack, and its answer lost."""
    if how == "500 after posting":
        slack.fail_next("chat.postMessage", error="internal_error", status=500,
                        retry_after=None, after_accepting=True, channel=channel)
    else:
        slack.drop_next("chat.postMessage", channel=channel)


@pytest.mark.parametrize("how", LOST_ANSWERS)
async def test_a_thread_reply_whose_answer_was_lost_appears_once(
        how: str, bot: RunningBot, driver_for: DriverFactory, slack: FakeSlackWebAPI) -> None:
    _, channel, ts = await pending_order(driver_for(bot), slack)
    lose_the_answer(slack, how, channel)
    await approve(driver_for(bot), channel, ts)
    await eventually(lambda: replies(slack, channel, ts), within=15)
    await eventually(lambda: nothing_queued(bot), within=15)
    for _ in range(3):
        await bot.follower.poll_once()  # rounds that would post it again, if any would
    assert len(replies(slack, channel, ts)) == 1
    assert "is placed" in replies(slack, channel, ts)[0]
    # Found in its thread by the metadata naming its call, not posted again.
    assert [c.args["ts"] for c in slack.calls_to("conversations.replies")] == [ts]
    (reply,) = slack.thread_replies(channel, ts)
    # The reply keeps its own metadata (the line order's), the effect added to it.
    assert reply["metadata"]["event_type"] == "mobproc_line_order"
    assert reply["metadata"]["event_payload"]["effect_id"] > 0
    # So did the approval message when it was posted (its update since set it anew).
    (posted,) = [c for c in slack.calls_to("chat.postMessage")
                 if c.ok and c.response["ts"] == ts]
    approval = posted.args["metadata"]
    assert approval["event_type"] == "mobproc_line_order"
    assert set(approval["event_payload"]) == LINE_ORDER_KEYS | {"effect_id", "effect_key"}


@pytest.mark.parametrize("how", LOST_ANSWERS)
async def test_a_direct_message_whose_answer_was_lost_appears_once(
        how: str, start_test_bot: BotFactory, driver_for: DriverFactory,
        slack: FakeSlackWebAPI, clock: Clock) -> None:
    bot = await start_test_bot(APPROVAL_TTL_HOURS=1)
    _, channel, ts = await pending_order(driver_for(bot), slack)
    lose_the_answer(slack, how, REQUESTER)  # the requester hears of the expiry in a DM
    clock.advance(3700)
    await eventually(lambda: not buttons(slack.messages[(channel, ts)]))
    await eventually(lambda: nothing_queued(bot), within=15)
    for _ in range(3):
        await bot.follower.poll_once()
    dms = [m for m in slack.messages.values() if m["channel"] == "D" + REQUESTER]
    assert len(dms) == 1 and "expired" in all_text(dms[0])
    # Looked for in the DM, opened for it, not in the user id Slack can't read.
    assert [c.args["users"] for c in slack.calls_to("conversations.open")] == [REQUESTER]
    assert [c.args["channel"] for c in slack.calls_to("conversations.history")
            if c.ok] == ["D" + REQUESTER]


async def test_killed_after_slack_posted_before_it_was_recorded_posts_once(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, database_url: str, tmp_path: Path) -> None:
    """SIGKILL of a real bot process while Slack's answer to the reply it posted is on its
    way: the restarted bot takes the call over once the claim lapses, finds the reply in
    the thread and records it."""
    first = await start_test_bot()
    _, channel, ts = await pending_order(driver_for(first), slack)
    await first.stop()  # from here on only the process acts on the request
    # A long client timeout: the process is still waiting for the answer when it is killed.
    process = await start_bot_process(
        bot_settings(simulator, slack, database_url, SLACK_TIMEOUT_SECONDS=30), tmp_path)
    try:
        slack.answer_late("chat.postMessage", 20, channel=channel)
        await approve(driver_for(process), channel, ts)
        await eventually(lambda: replies(slack, channel, ts), within=15)
        await process.kill()
    finally:
        await process.kill()
    restarted = await start_test_bot()
    await eventually(lambda: nothing_queued(restarted), within=20)
    for _ in range(3):
        await restarted.follower.poll_once()
    assert len(replies(slack, channel, ts)) == 1
    assert slack.calls_to("conversations.replies")


async def test_a_sender_stalled_past_its_claim_sends_nothing(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        database_url: str) -> None:
    """The first replica's sender claims the reply, then stalls (a loaded host, a long
    pause) past its lease; the second replica takes the call over and posts it. When the
    first wakes, its claim is gone: it sends nothing."""
    first = await start_test_bot(STATUS_POLL_SECONDS=3600)
    second = await start_test_bot(STATUS_POLL_SECONDS=3600)
    _, channel, ts = await pending_order(driver_for(first), slack)
    engine = create_engine(database_url)
    queue = RequestRepository(engine)  # to tell which call a claim is for
    real = first.ctx.repo.claim_call
    stalled: list[int] = []
    taken_over = asyncio.Event()

    async def stalls_on_the_reply(call_id: int, *args: Any) -> Claim | None:
        claim = await real(call_id, *args)
        calls = {c.id: c for c in await queue.queued_calls()}
        if claim is not None and not stalled and call_id in calls \
                and calls[call_id].args.get("thread_ts") == ts:
            stalled.append(call_id)
            await taken_over.wait()
        return claim

    first.ctx.repo.claim_call = stalls_on_the_reply  # type: ignore[method-assign]
    try:
        await approve(driver_for(first), channel, ts)
        await eventually(lambda: stalled)

        async def posted_by_the_second() -> bool:
            await second.ctx.outbox.deliver()
            return bool(replies(slack, channel, ts))

        await eventually(posted_by_the_second, within=20)
        taken_over.set()
        await first.ctx.outbox.deliver()  # after the stalled round: it has had its go
    finally:
        taken_over.set()
        await engine.dispose()
    assert len(replies(slack, channel, ts)) == 1
    assert await nothing_queued(first)


async def test_a_rate_limit_longer_than_the_claim_lets_the_other_sender_post_once(
        start_test_bot: BotFactory, driver_for: DriverFactory,
        slack: FakeSlackWebAPI) -> None:
    """Slack holds the channel (429) for longer than a claim lasts. The sender that met it
    lets the call go and waits with its channel; it does not post once the pause is over
    behind the back of the replica that took the call."""
    first = await start_test_bot(STATUS_POLL_SECONDS=3600)
    second = await start_test_bot(STATUS_POLL_SECONDS=3600)
    _, channel, ts = await pending_order(driver_for(first), slack)
    pause = 7  # seconds: longer than the lease with the tests' 1 s Slack timeout
    slack.fail_next("chat.postMessage", status=429, retry_after=pause, channel=channel)
    await approve(driver_for(first), channel, ts)
    await eventually(lambda: slack.refused_for_rate("chat.postMessage"))

    async def posted_by_the_second() -> bool:
        await second.ctx.outbox.deliver()
        return bool(replies(slack, channel, ts))

    await eventually(posted_by_the_second, within=20)
    await first.ctx.outbox.deliver()  # after the round that met the 429: it has had its go
    assert len(replies(slack, channel, ts)) == 1
    assert pause > first.ctx.outbox.lease_seconds


async def test_an_answer_slower_than_the_client_timeout_is_found_not_posted_again(
        start_test_bot: BotFactory, driver_for: DriverFactory,
        slack: FakeSlackWebAPI) -> None:
    """Slack posts the reply but answers after the client gave up; a second replica polls
    the whole time. Whichever takes the call next looks in the thread first."""
    first, second = await start_test_bot(), await start_test_bot()
    _, channel, ts = await pending_order(driver_for(first), slack)
    slack.answer_late("chat.postMessage", 4, channel=channel)
    await approve(driver_for(first), channel, ts)
    await eventually(lambda: replies(slack, channel, ts), within=15)
    await eventually(lambda: nothing_queued(first), within=20)
    await asyncio.gather(first.follower.poll_once(), second.follower.poll_once())
    assert len(replies(slack, channel, ts)) == 1
    assert slack.calls_to("conversations.replies")
