"""Reading a help-desk message: the line number, and the order its words point to."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.helpdesk.intent import read_intent
from bot.mobproc.models import TransactionType as T
from bot.settings import load_settings


@pytest.mark.parametrize(("text", "expected"), [
    ("my phone was stolen at the airport, please suspend 415-555-0199", T.SUSPEND),
    ("Lost my phone! (415) 555 0199", T.SUSPEND),
    ("I can’t find my phone, 4155550199", T.SUSPEND),
    ("please reactivate +1 415 555 0199", T.UNSUSPEND),
    ("Found it! Lost it yesterday, 415.555.0199 can be turned back on", T.UNSUSPEND),
    ("Jane left the company, terminate 415-555-0199", T.DEACTIVATE),
    ("I'd like to keep my number 415-555-0199 when I leave", T.XFER_SERVICE_OUT),
])
def test_the_words_pick_the_order(text: str, expected: T) -> None:
    intent = read_intent(text, "US")
    assert intent is not None
    assert intent.number.e164 == "+14155550199"
    assert intent.transaction_type is expected


def test_unclear_words_leave_the_choice_to_the_person() -> None:
    vague = read_intent("something is wrong with 415-555-0199", "US")
    assert vague is not None and vague.transaction_type is None and vague.candidates == ()
    both = read_intent("stolen; or just terminate 415-555-0199?", "US")
    assert both is not None and both.transaction_type is None
    assert set(both.candidates) == {T.SUSPEND, T.DEACTIVATE}


def test_words_match_whole_words_only() -> None:
    # "holder" must not read as "hold", nor "cancellation" as "cancel".
    intent = read_intent("who is the holder of 415-555-0199? asking about cancellation fees",
                         "US")
    assert intent is not None and intent.transaction_type is None


def test_no_number_no_intent() -> None:
    assert read_intent("my phone was stolen, please suspend it", "US") is None


def test_keyword_lists_come_from_settings(monkeypatch: pytest.MonkeyPatch,
                                          tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("KEYWORDS_SUSPEND", "Verloren, gestohlen")
    keywords = load_settings().order_keywords()
    assert keywords[T.SUSPEND] == ["verloren", "gestohlen"]
    text = "Handy gestohlen: 415-555-0199"
    intent = read_intent(text, "US", keywords)
    assert intent is not None and intent.transaction_type is T.SUSPEND
    # The replaced list no longer holds the default words; the other lists keep theirs.
    assert read_intent("stolen 415-555-0199", "US", keywords).transaction_type is None
    assert read_intent("terminate 415-555-0199", "US", keywords).transaction_type is T.DEACTIVATE
