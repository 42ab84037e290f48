"""How often each person is asked about in MobProc's approval queue.

Everyone who used the bot is a candidate approver, but most never have anything waiting:
asking MobProc about each of them every round grows with everyone who ever used the bot
(at MOBPROC_MAX_RPS 10, a round of a thousand people takes MobProc's whole allowance for
100 s) and, under a burst, asked about every requester every round. So someone MobProc
had nothing for is asked again after twice as long as the time before, up to
``longest``; someone with an order waiting (or an answer not yet settled) is asked every
round. Opening the App Home asks at once, whatever the schedule (``ApprovalWatcher.look_up``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Someone MobProc never has anything for is still asked about at least this often.
LONGEST_GAP_SECONDS = 30 * 60.0


class LookupSchedule:
    def __init__(self, interval: float, longest: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval
        self._longest = max(longest, interval)
        self._clock = clock
        self._next: dict[str, float] = {}  # people with nothing waiting: when to ask again
        self._gap: dict[str, float] = {}

    def due(self, user_id: str) -> bool:
        """Whether this round asks about ``user_id``: never asked, busy when last asked, or
        their time came (with a little slack, as rounds start a little late or early)."""
        at = self._next.get(user_id)
        return at is None or self._clock() >= at - self._interval / 10

    def looked_up(self, user_id: str, *, busy: bool) -> None:
        """``busy``: MobProc had something for them, or a row of theirs is still open."""
        if busy:
            self._next.pop(user_id, None)
            self._gap.pop(user_id, None)
            return
        gap = min(self._gap.get(user_id, self._interval) * 2, self._longest)
        self._gap[user_id] = gap
        self._next[user_id] = self._clock() + gap
