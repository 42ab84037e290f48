"""What a help-desk message asks for: the line number, and which order its words point to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.mobproc.models import TransactionType
from bot.phone import NumberNotFound, ServiceNumber, parse_service_number

# Words that point to each order type; settings can replace any list (KEYWORDS_*).
DEFAULT_KEYWORDS: dict[TransactionType, list[str]] = {
    TransactionType.SUSPEND: ["suspend", "lost", "stolen", "missing", "pause", "hold",
                              "misplaced", "left it", "can't find"],
    TransactionType.UNSUSPEND: ["unsuspend", "reactivate", "restore", "resume", "found it",
                                "found my phone", "back on", "unpause", "turn back on"],
    TransactionType.DEACTIVATE: ["deactivate", "cancel", "terminate", "disconnect",
                                 "shut off", "close the line", "left the company",
                                 "no longer needed"],
    TransactionType.XFER_SERVICE_OUT: ["transfer to personal", "personal line",
                                       "keep my number", "keep the number", "take over",
                                       "transfer the line", "transfer my line", "port out"],
}


@dataclass(frozen=True)
class Intent:
    number: ServiceNumber
    transaction_type: TransactionType | None  # None: unclear, ask which
    candidates: tuple[TransactionType, ...]  # every type the words pointed to


def _pattern(words: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w.strip().lower()) for w in words if w.strip())
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])") if alternatives else re.compile(
        r"(?!x)x")


def read_intent(text: str, region: str,
                keywords: dict[TransactionType, list[str]] | None = None) -> Intent | None:
    """None when the message names no phone number: then the bot stays quiet."""
    try:
        number = parse_service_number(text, region)
    except NumberNotFound:
        return None
    words = " ".join(number.rest.lower().replace("’", "'").split())
    lists = keywords or DEFAULT_KEYWORDS
    found = tuple(t for t, w in lists.items() if _pattern(w).search(words))
    # "Found it, please reactivate" names both a loss and a return: the return wins, as the
    # loss is what already happened.
    if TransactionType.UNSUSPEND in found and TransactionType.SUSPEND in found:
        found = tuple(t for t in found if t is not TransactionType.SUSPEND)
    chosen = found[0] if len(found) == 1 else None
    return Intent(number=number, transaction_type=chosen, candidates=found)
