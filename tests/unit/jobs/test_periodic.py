"""The loop the status follower and the MobProc approvals watcher share."""

from __future__ import annotations

import asyncio

import pytest

from bot.jobs.periodic import PeriodicTask
from bot.slack_standin.polling import eventually


class Rounds(PeriodicTask):
    name = "test rounds"

    def __init__(self, *, interval: float, fail_first: bool = False,
                 hold: float = 0.0) -> None:
        super().__init__(interval=interval)
        self.started = 0
        self.finished = 0
        self.outcomes: list[bool] = []
        self._fail_first = fail_first
        self._hold = hold

    async def run_round(self) -> None:
        self.started += 1
        if self._fail_first and self.started == 1:
            raise RuntimeError("round one breaks")
        await asyncio.sleep(self._hold)  # a round's work: reading, recording
        self.finished += 1

    def round_done(self, seconds: float, *, ok: bool) -> None:
        self.outcomes.append(ok)


async def test_a_failing_round_is_logged_and_the_next_one_runs(
        caplog: pytest.LogCaptureFixture) -> None:
    task = Rounds(interval=0.05, fail_first=True)
    task.start()
    try:
        await eventually(lambda: task.finished >= 2)
    finally:
        await task.stop()
    assert task.outcomes[:3] == [False, True, True]
    assert "test rounds round failed" in caplog.text


async def test_stop_lets_the_round_under_way_finish_within_the_grace() -> None:
    task = Rounds(interval=10.0, hold=0.3)
    task.start()
    await eventually(lambda: task.started == 1)
    await task.stop(grace_seconds=5)
    assert task.finished == 1 and task.started == 1, "finished, and no round after the stop"


async def test_stop_cancels_a_round_past_the_grace(caplog: pytest.LogCaptureFixture) -> None:
    task = Rounds(interval=10.0, hold=30.0)
    task.start()
    await eventually(lambda: task.started == 1)
    await task.stop(grace_seconds=0.1)
    assert task.finished == 0
    assert "still running after" in caplog.text
