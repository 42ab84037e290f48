"""Fenced claims: whoever sends an effect (a Slack call, a MobProc order or approval answer)
holds a claim with an attempt number and a lease. A sender taking over after the lease
raises the attempt number. Right before a request leaves, the sender checks in the database
that its attempt is still the current one, and that the request can end (answer or time
out) before the lease lapses; if not, it is dropped, never sent late.

The claim's own conditional UPDATE is such a check: a send that leaves within
``FRESH_SECONDS`` of it is not read again (a take-over needs the whole lease to lapse, and
nothing else lets go of a held claim). A sender that awaits something else first (a lookup
of an earlier attempt's effect) gives its fence no ``confirmed_at``: that send reads the
claim again.

So a send held back past the lease (the limiter's queue, a 429 pause, a retry, a slow
connect) can't leave after another sender has taken over and looked for it on the far side.
The lease is derived from the longest a send may take (``lease_seconds``), not a number of
its own that could fall out of step with the timeouts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class SendDropped(Exception):
    """The attempt may not leave: its claim is gone (taken over, or the effect is done) or it
    would lapse before the request could end. Nothing was sent by this attempt."""


def lease_seconds(timeout_seconds: float, tries: int, queue_seconds: float) -> float:
    """How long a claim lasts: every try waiting its turn (``queue_seconds``: the limiter,
    a pause) and then running to its timeout."""
    return max(tries, 1) * (queue_seconds + timeout_seconds)


# How recent a database check of the claim (the claiming UPDATE) makes reading it again
# before the send pointless: far below any lease, which is several seconds at least.
FRESH_SECONDS = 0.25


def _now() -> datetime:
    return datetime.now(UTC)


# Is ``attempt`` still the current claim on the effect, and the effect not done yet?
Holds = Callable[[int], Awaitable[bool]]
# Push the claim's lease to at least ``seconds`` from now, only while ``attempt`` holds it and
# it has not lapsed; True if it did (then ``attempt`` holds it).
Extend = Callable[[int, float], Awaitable[bool]]


@dataclass(frozen=True)
class Fence:
    """One sender's claim on one effect."""

    attempt: int
    lease_until: datetime
    holds: Holds
    clock: Callable[[], datetime] = _now
    extend: Extend | None = None
    # When the database last confirmed the claim: the claiming UPDATE's time.
    confirmed_at: datetime | None = None

    async def before_send(self, send_seconds: float) -> None:
        """Call right before the request leaves. Raises ``SendDropped`` when the claim has
        lapsed, or would lapse before a request of up to ``send_seconds`` ends and can't be
        extended, or another sender holds the effect now."""
        now = self.clock()
        if now + timedelta(seconds=send_seconds) > self.lease_until:
            # A wait for its turn (a burst in the limiter's queue) used up the lease: still
            # held and not lapsed, it is pushed out far enough for this send, in the
            # database, so no taker can come between. Lapsed, it is dropped.
            if self.extend is None or now >= self.lease_until or \
                    not await self.extend(self.attempt, send_seconds):
                raise SendDropped(f"attempt {self.attempt}'s claim lapses before a send "
                                  "could end")
            return
        if self.confirmed_at is not None and \
                now - self.confirmed_at <= timedelta(seconds=FRESH_SECONDS):
            return  # the claim was taken in the database just now
        if not await self.holds(self.attempt):
            raise SendDropped(f"attempt {self.attempt}'s claim was taken over or is done")


__all__ = ["FRESH_SECONDS", "Extend", "Fence", "Holds", "SendDropped", "lease_seconds"]
