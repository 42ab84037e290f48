"""When a request waiting for approval expires, and when its approvers are reminded: one
schedule for a single request and a leaver's request alike (APPROVAL_TTL_HOURS,
REMINDER_HOURS)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ApprovalSchedule:
    ttl: timedelta
    reminder_interval: timedelta

    def expired(self, created_at: datetime, now: datetime) -> bool:
        return now - created_at >= self.ttl

    def reminder_due(self, created_at: datetime, number: int) -> datetime:
        """Reminder ``number`` (1, 2, 3…) is due after 1, 3, 7… intervals: each wait twice
        the one before."""
        return created_at + self.reminder_interval * (2 ** number - 1)

    def reminder_now(self, created_at: datetime, reminders_sent: int, *, posted: bool,
                     now: datetime) -> int | None:
        """The number of the reminder due ``now``; None when none is: the approval message
        is not out yet, the next one is not due, or the request is about to expire instead."""
        number = reminders_sent + 1
        if not posted or now < self.reminder_due(created_at, number) or \
                self.expired(created_at, now):
            return None
        return number
