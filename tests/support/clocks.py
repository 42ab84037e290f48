"""Clocks a test moves by hand: nothing that reads them sees time pass unless the test says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    """A controllable clock for the simulator: orders move only when a test says so."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class SecondsClock:
    """A monotonic-style clock in seconds (as ``time.monotonic``), starting at ``now``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
