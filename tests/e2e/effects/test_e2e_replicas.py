"""Two real bot processes on one database (SQLite here; PostgreSQL with TEST_POSTGRES_URL):
each status change, reminder and expiry is told once, in order."""

from __future__ import annotations

from pathlib import Path

from bot.domain import RequestState
from bot.simulator.server import RunningSimulator
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from bot.storage.requests import RequestRepository
from tests.conftest import APPROVER, Clock, DriverFactory, bot_settings
from tests.support.flow import pending_order, submitted_orders
from tests.support.processes import BotProcess, start_bot_process

LINES = [("/suspend-line", "404-555-3104"), ("/suspend-line", "415-555-0199"),
         ("/unsuspend-line", "415-555-0142")]


async def two_replicas(simulator: RunningSimulator, slack: FakeSlackWebAPI, database_url: str,
                       tmp_path: Path, **overrides: object) -> list[BotProcess]:
    settings = bot_settings(simulator, slack, database_url, STATUS_POLL_SECONDS=0.2,
                            **overrides)
    first = await start_bot_process(settings, tmp_path)  # migrates the database first
    return [first, await start_bot_process(settings, tmp_path)]


def told(slack: FakeSlackWebAPI, channel: str, ts: str) -> list[str]:
    """What each thread reply says, in the order Slack shows them."""
    names = {"now *In progress*": "in progress", "now *Complete*": "complete",
             "(reminder 1)": "reminder 1", "(reminder 2)": "reminder 2", "expired": "expired"}
    found = []
    for reply in slack.thread_replies(channel, ts):
        text = reply.get("text", "")
        found.append(next((name for key, name in names.items() if key in text), text[:80]))
    return found


async def settled(repo: RequestRepository, states: set[RequestState], count: int) -> bool:
    """Every request reached one of ``states`` and nothing is left to send to Slack."""
    done = await repo.in_states(states)
    return len(done) == count and not await repo.queued_calls()


async def test_two_processes_tell_each_status_change_once_in_order(
        simulator: RunningSimulator, slack: FakeSlackWebAPI, database_url: str,
        driver_for: DriverFactory, repo: RequestRepository, clock: Clock,
        tmp_path: Path) -> None:
    replicas = await two_replicas(simulator, slack, database_url, tmp_path)
    try:
        first, second = (driver_for(r) for r in replicas)
        threads = []
        for command, number in LINES:
            _, channel, ts = await pending_order(first, slack, command=command, text=number)
            await second.click_button(APPROVER, channel_id=channel, message_ts=ts,
                                      action_id="approve_request")
            await eventually(lambda c=channel, t=ts: len(slack.thread_replies(c, t)) == 1)
            threads.append((channel, ts))
        for expected in (2, 3):
            clock.advance(10)  # every order moves on one status, seen by both replicas
            await eventually(lambda n=expected: all(
                len(slack.thread_replies(c, t)) >= n for c, t in threads), within=30)
        await eventually(lambda: settled(repo, {RequestState.COMPLETED}, len(LINES)),
                         within=30)
    finally:
        for replica in replicas:
            await replica.stop()
    for channel, ts in threads:
        assert told(slack, channel, ts)[1:] == ["in progress", "complete"]
    assert len(submitted_orders(simulator)) == len(LINES)


async def test_two_processes_remind_and_expire_once_in_order(
        simulator: RunningSimulator, slack: FakeSlackWebAPI, database_url: str,
        driver_for: DriverFactory, repo: RequestRepository, tmp_path: Path) -> None:
    # On the wall clock: reminders after 2 s and 6 s, expiry after 12 s.
    replicas = await two_replicas(simulator, slack, database_url, tmp_path,
                                  REMINDER_HOURS=2 / 3600, APPROVAL_TTL_HOURS=12 / 3600)
    try:
        driver = driver_for(replicas[0])
        _, channel, ts = await pending_order(driver, slack)
        await eventually(lambda: settled(repo, {RequestState.EXPIRED}, 1), within=40)
    finally:
        for replica in replicas:
            await replica.stop()
    assert told(slack, channel, ts) == ["reminder 1", "reminder 2", "expired"]
    assert len([c for c in slack.calls_to("chat.postMessage")
                if c.args.get("channel") == "URequester"]) == 1, "the requester is told once"
