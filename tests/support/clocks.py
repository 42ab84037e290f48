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

    def past(self, seconds: float) -> None:
        """At least ``seconds`` after now, by the wall clock too: what the database stamps
        (a request's ``created_at``) is the wall clock's, and a slow setup would otherwise
        eat into a deadline such as an expiry's."""
        self.now = max(self.now, datetime.now(UTC)) + timedelta(seconds=seconds)


class SecondsClock:
    """A monotonic-style clock in seconds (as ``time.monotonic``), starting at ``now``."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
