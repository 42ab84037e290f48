"""Text objects within Slack's limits, and escaping of text people or MobProc wrote."""

from __future__ import annotations

from datetime import datetime
from typing import Any

SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
OPTION_TEXT = 75
OPTION_VALUE = 150
MODAL_TITLE = 24
INPUT_LABEL = 2000
HINT = 2000
PLACEHOLDER = 150
INPUT_LENGTH = 3000
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
CONTEXT_ELEMENTS = 10


def truncate(text: str, limit: int) -> str:
    text = text or ""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def escape_mrkdwn(text: str | None) -> str:
    """User or MobProc text can't become a mention, a link or a broadcast."""
    return (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": truncate(text, limit) or " "}


def section(text: str, *, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def fields_section(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """Label/value pairs as section fields, ten per section (Slack's limit)."""
    fields = [mrkdwn(f"*{label}*\n{value}", FIELD_TEXT) for label, value in pairs]
    return [{"type": "section", "fields": fields[i : i + 10]} for i in range(0, len(fields), 10)]


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(text)]}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def slack_date(when: datetime | None) -> str:
    """Slack renders the date in each reader's own time zone; the fallback is UTC."""
    if when is None:
        return "an unknown time"
    fallback = when.strftime("%b %d, %Y %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def readable_date(when: datetime | None) -> str:
    return when.strftime("%a %b %d, %Y") if when else "—"
