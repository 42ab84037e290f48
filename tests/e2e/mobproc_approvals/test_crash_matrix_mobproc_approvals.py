"""A real bot process SIGKILLed at each point of answering an order waiting in MobProc's own
approvals: before the answer leaves, after MobProc took it but before the bot recorded it,
and after it was recorded but before the DM was updated. After a restart MobProc has at
most the one answer the approver gave (never a second one), and the approver's DM ends
right: settled, or offering the buttons again when nothing reached MobProc."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain import ApprovalState
from bot.simulator.server import RunningSimulator
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from bot.storage.mobproc_approvals import MobProcApprovalStore
from tests.conftest import APPROVER, BotFactory, DriverFactory, bot_settings
from tests.support.flow import buttons
from tests.support.home import open_home
from tests.support.mobproc_approvals import AVERY_DM, approval_dms, click
from tests.support.processes import start_bot_process
from tests.support.storage import open_database

FAST = {"MOBPROC_APPROVALS_POLL_SECONDS": 0.05}
Reached = Callable[[], Awaitable[bool]]


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[MobProcApprovalStore]:
    async with open_database(database_url) as engine:  # not migrated: the bots do that
        yield MobProcApprovalStore(engine)


def _answers(simulator: RunningSimulator) -> int:
    return len(simulator.state.approval_posts)


def _before_the_send(simulator: RunningSimulator, slack: FakeSlackWebAPI,
                     store: MobProcApprovalStore, approval_id: str) -> Reached:
    # MobProc turns the answer away for a while: the process waits with nothing sent.
    simulator.state.add_fault("POST", r"/approval$", status=429, retry_after="30")

    async def turned_away() -> bool:
        return any(r.method == "POST" and r.path.endswith("/approval")
                   for r in simulator.state.received) and not _answers(simulator)
    return turned_away


def _taken_not_recorded(simulator: RunningSimulator, slack: FakeSlackWebAPI,
                        store: MobProcApprovalStore, approval_id: str) -> Reached:
    # MobProc takes the answer and holds its reply back: killed before it is recorded.
    simulator.state.add_fault("POST", r"/approval$", hold_after_processing=5.0)

    async def taken() -> bool:
        approval = await store.get(approval_id)
        return bool(_answers(simulator)) and approval is not None and \
            approval.state is ApprovalState.SENDING
    return taken


def _recorded_not_told(simulator: RunningSimulator, slack: FakeSlackWebAPI,
                       store: MobProcApprovalStore, approval_id: str) -> Reached:
    # Slack is down: the answer is recorded and the DM's update waits in the outbox.
    slack.fail_next("chat.update", error="internal_error", status=500, retry_after=None,
                    times=1000)

    async def recorded() -> bool:
        approval = await store.get(approval_id)
        return approval is not None and approval.state is ApprovalState.ANSWERED
    return recorded


def _offers(message: dict[str, Any], action: str) -> bool:
    return any(b["action_id"] == action for b in buttons(message))


@pytest.mark.parametrize(("crash_point", "answered"), [
    (_before_the_send, False), (_taken_not_recorded, True), (_recorded_not_told, True)])
async def test_a_killed_process_answers_mobproc_at_most_once_and_the_dm_ends_right(
        crash_point: Callable[..., Reached], answered: bool, start_test_bot: BotFactory,
        driver_for: DriverFactory, slack: FakeSlackWebAPI, simulator: RunningSimulator,
        database_url: str, store: MobProcApprovalStore, tmp_path: Path) -> None:
    process = await start_bot_process(bot_settings(simulator, slack, database_url, **FAST),
                                      tmp_path)
    try:
        await open_home(driver_for(process), slack, APPROVER)
        dm = copy.deepcopy((await eventually(lambda: approval_dms(slack), within=15))[0])
        approval_id = next(b["value"] for b in buttons(dm)
                           if b["action_id"] == "mobproc_approve")
        reached = crash_point(simulator, slack, store, approval_id)
        await click(driver_for(process), dm, "mobproc_approve")
        await eventually(reached, within=15)
    finally:
        await process.kill()
    slack.clear_failures()
    simulator.state.faults.clear()

    restarted = await start_test_bot(**FAST)
    assert restarted.approval_watcher is not None

    def shown() -> dict[str, Any]:
        return slack.messages[(AVERY_DM, dm["ts"])]

    if answered:
        # Settled from what MobProc says: no buttons left, nothing sent again.
        await eventually(lambda: not _offers(shown(), "mobproc_approve"), within=20)
    else:
        # Nothing reached MobProc, and the bot never sends an answer blind: once the claim
        # has lapsed and MobProc still shows the order waiting, Avery may decide again.
        async def offered_again() -> bool:
            approval = await store.get(approval_id)
            return approval is not None and approval.state is ApprovalState.WAITING and \
                _offers(shown(), "mobproc_approve")

        await eventually(offered_again, within=20)
        assert _answers(simulator) == 0
        await click(driver_for(restarted), shown(), "mobproc_approve")
        await eventually(lambda: _answers(simulator) == 1)
    for _ in range(3):
        await restarted.approval_watcher.poll_once()
    await restarted.ctx.outbox.deliver()
    assert _answers(simulator) == 1
    assert len(approval_dms(slack)) == 1
