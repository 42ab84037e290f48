"""A burst of marks becomes one flush per key; a mark during a flush gets its own flush."""

from __future__ import annotations

import asyncio

from bot.jobs.coalesce import Coalescer
from bot.slack_standin.polling import eventually


async def test_a_burst_is_flushed_once_and_later_marks_again() -> None:
    flushed: list[list[str]] = []
    release = asyncio.Event()

    async def flush(keys: list[str]) -> None:
        flushed.append(keys)
        if len(flushed) == 1:
            await release.wait()

    homes = Coalescer(flush, delay=0.05)
    for _ in range(50):
        homes.mark(["U1", None, "U2", "U1"])
    await eventually(lambda: flushed)
    assert flushed == [["U1", "U2"]]
    # Marked while the first flush runs: not lost, flushed after it.
    homes.mark(["U2", "U3"])
    release.set()
    await eventually(lambda: len(flushed) == 2)
    assert flushed[1] == ["U2", "U3"]


async def test_close_flushes_what_is_marked_and_survives_a_failed_round() -> None:
    flushed: list[list[str]] = []

    async def flush(keys: list[str]) -> None:
        flushed.append(keys)
        if keys == ["boom"]:
            raise RuntimeError("Slack is down")

    homes = Coalescer(flush, delay=0.01)
    homes.mark(["boom"])
    await eventually(lambda: flushed)
    homes.mark(["U1"])
    await homes.close()
    assert flushed == [["boom"], ["U1"]]
    homes.mark(["U2"])  # closed: nothing more is started
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "coalescer"]
    assert flushed == [["boom"], ["U1"]]
