"""Many asking the outbox to deliver at once share rounds, and none returns early."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.runtime import RunningBot
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.storage.outbox_queue import OutboxMessage
from tests.conftest import HELPDESK, REQUESTER, BotFactory, DriverFactory
from tests.support.flow import open_form


async def _quiet_bot(start_test_bot: BotFactory, driver_for: DriverFactory,
                     slack: FakeSlackWebAPI) -> tuple[RunningBot, str]:
    """A bot whose follower stays out of the way, and a request to hang notes on."""
    bot = await start_test_bot(STATUS_POLL_SECONDS=3600)
    view = await open_form(driver_for(bot), slack, "/suspend-line", "404-555-3104")
    await bot.ctx.outbox.deliver()  # settle what the form queued
    return bot, view["private_metadata"]


def _note(n: int) -> OutboxMessage:
    return OutboxMessage("chat.postEphemeral",
                         {"channel": HELPDESK, "user": REQUESTER, "text": f"note {n}"})


def _sent(slack: FakeSlackWebAPI, n: int) -> bool:
    return any(c.args.get("text") == f"note {n}" for c in slack.calls_to("chat.postEphemeral"))


async def test_callers_at_once_share_one_round(start_test_bot: BotFactory,
                                               driver_for: DriverFactory,
                                               slack: FakeSlackWebAPI) -> None:
    bot, request_id = await _quiet_bot(start_test_bot, driver_for, slack)
    repo = bot.ctx.repo
    for n in range(30):
        await repo.enqueue(request_id, [_note(n)])
    reads: list[int] = []
    real = repo.queued_calls

    async def counted() -> Any:
        reads.append(1)
        return await real()

    repo.queued_calls = counted  # type: ignore[method-assign]
    await asyncio.gather(*(bot.ctx.outbox.deliver() for _ in range(30)))
    assert all(_sent(slack, n) for n in range(30))
    assert len(reads) == 1  # a round per caller read the whole queue 30 times


async def test_a_caller_during_a_round_returns_after_its_call_went_out(
        start_test_bot: BotFactory, driver_for: DriverFactory,
        slack: FakeSlackWebAPI) -> None:
    bot, request_id = await _quiet_bot(start_test_bot, driver_for, slack)

    async def queue_and_deliver(n: int) -> bool:
        await bot.ctx.repo.enqueue(request_id, [_note(n)])
        await bot.ctx.outbox.deliver()
        return _sent(slack, n)  # back from deliver: its own call has gone out

    assert all(await asyncio.gather(*(queue_and_deliver(n) for n in range(30))))
    assert sum(_sent(slack, n) for n in range(30)) == 30
    assert len([c for c in slack.calls_to("chat.postEphemeral")
                if str(c.args.get("text", "")).startswith("note ")]) == 30  # each once
