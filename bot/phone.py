"""Finding and formatting phone line numbers with phonenumbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

# Slack may auto-link numbers as <tel:+14155550199|415-555-0199>; keep what the person typed.
_SLACK_LINK = re.compile(r"<(?:tel:)?[^|<>]*\|([^<>]*)>|<tel:([^<>|]*)>")


class NumberNotFound(ValueError):
    """The text holds no phone number we can read."""


@dataclass(frozen=True)
class ServiceNumber:
    digits: str  # national number, digits only: MobProc's serviceNumber
    e164: str
    display: str  # national format, e.g. (415) 555-0199
    rest: str  # the free text around the number


def parse_service_number(text: str, region: str = "US") -> ServiceNumber:
    """Read the first phone number in ``text``; free text may come before or after it.

    Raises ``NumberNotFound`` with a message fit to show to the person who typed it.
    """
    cleaned = _SLACK_LINK.sub(lambda m: m.group(1) or m.group(2) or "", text or "").strip()
    if not cleaned:
        raise NumberNotFound("Please give the line's phone number, e.g. 415-555-0199.")
    matcher = phonenumbers.PhoneNumberMatcher(
        cleaned, region, leniency=phonenumbers.Leniency.POSSIBLE
    )
    for match in matcher:
        number = match.number
        rest = (cleaned[: match.start] + " " + cleaned[match.end :]).strip()
        return _build(number, region, " ".join(rest.split()))
    raise NumberNotFound(
        f"I couldn't find a phone number in “{_clip(cleaned)}”. "
        "Please give the line's number, e.g. 415-555-0199 or +1 415 555 0199."
    )


def format_service_number(digits: str, region: str = "US") -> str:
    """MobProc's digits-only number, written the way people in ``region`` read it."""
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException:
        return digits
    if not phonenumbers.is_possible_number(number):
        return digits
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _build(number: phonenumbers.PhoneNumber, region: str, rest: str) -> ServiceNumber:
    digits = phonenumbers.national_significant_number(number)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.region_code_for_number(number) == region:
        display = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    else:
        display = phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    return ServiceNumber(digits=digits, e164=e164, display=display, rest=rest)


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
