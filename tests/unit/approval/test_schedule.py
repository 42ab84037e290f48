"""One schedule for every request waiting for approval (a single line's or a leaver's):
when it expires, and when each reminder falls due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.approval.schedule import ApprovalSchedule

ASKED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SCHEDULE = ApprovalSchedule(ttl=timedelta(hours=72), reminder_interval=timedelta(hours=10))


def _at(hours: float) -> datetime:
    return ASKED + timedelta(hours=hours)


def test_a_request_expires_once_the_whole_ttl_has_passed() -> None:
    assert not SCHEDULE.expired(ASKED, _at(71.99))
    assert SCHEDULE.expired(ASKED, _at(72))


def test_each_reminder_waits_twice_as_long_as_the_one_before() -> None:
    assert [SCHEDULE.reminder_due(ASKED, n) for n in (1, 2, 3)] == [_at(10), _at(30), _at(70)]
    assert SCHEDULE.reminder_now(ASKED, 0, posted=True, now=_at(9.9)) is None
    assert SCHEDULE.reminder_now(ASKED, 0, posted=True, now=_at(10)) == 1
    # The first was sent: the second waits for its own time, however late the round.
    assert SCHEDULE.reminder_now(ASKED, 1, posted=True, now=_at(29)) is None
    assert SCHEDULE.reminder_now(ASKED, 1, posted=True, now=_at(30)) == 2


def test_no_reminder_before_the_approval_message_is_out_or_once_it_expires() -> None:
    assert SCHEDULE.reminder_now(ASKED, 0, posted=False, now=_at(11)) is None
    # Reminder 3 (due at 70 h) is skipped once the request expires instead.
    assert SCHEDULE.reminder_now(ASKED, 2, posted=True, now=_at(71)) == 3
    assert SCHEDULE.reminder_now(ASKED, 2, posted=True, now=_at(72)) is None
