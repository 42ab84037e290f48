"""Finding and formatting phone line numbers with phonenumbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
import pycountry

from bot.mobproc import assumed

# Slack may auto-link numbers as <tel:+14155550199|415-555-0199>; keep what the person typed.
_SLACK_LINK = re.compile(r"<(?:tel:)?[^|<>]*\|([^<>]*)>|<tel:([^<>|]*)>")


class NumberNotFound(ValueError):
    """The text holds no phone number we can read."""


@dataclass(frozen=True)
class ServiceNumber:
    """A line number as a person gave it, always in full: ``e164`` says which line it is."""

    digits: str  # how MobProc writes this line's serviceNumber (bot/mobproc/assumed.py)
    e164: str  # the number itself, e.g. +442079460958: what lines are matched by
    display: str  # national format at home, e.g. (415) 555-0199; else +44 20 7946 0958
    rest: str  # the free text around the number
    region: str = "US"  # the tenant's default region it was read in
    country: str | None = None  # the country's name when it is not ``region``'s

    @property
    def understood(self) -> str:
        """What the bot read, said so the person can tell a foreign number was kept as one:
        "+44 20 7946 0958 as a United Kingdom number"."""
        if self.country is None:
            return self.display
        return f"{self.display} as {_article(self.country)} {self.country} number"


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
        "Please give the line's number, e.g. 415-555-0199 or +1 415 555 0199; a number "
        "from another country with its country code, e.g. +44 20 7946 0958."
    )


# Pure and costly (phonenumbers parses each time); every message shows a line's number.
@lru_cache(maxsize=4096)
def format_service_number(digits: str, region: str = "US") -> str:
    """MobProc's digits-only number, read with the assumed rule and written the way people
    in ``region`` read it: (415) 555-0199 at home, +44 20 7946 0958 from abroad."""
    e164 = assumed.service_number_e164(digits, region)
    if e164 is None:
        return digits
    return _display(phonenumbers.parse(e164, None), region)


def _at_home(number: phonenumbers.PhoneNumber, region: str) -> bool:
    # A possible but unassigned number (no region) of the tenant's own country code counts as
    # at home: test and fictional ranges.
    return phonenumbers.region_code_for_number(number) in (region, None) and \
        number.country_code == phonenumbers.country_code_for_region(region)


def _display(number: phonenumbers.PhoneNumber, region: str) -> str:
    style = phonenumbers.PhoneNumberFormat.NATIONAL if _at_home(number, region) \
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def _build(number: phonenumbers.PhoneNumber, region: str, rest: str) -> ServiceNumber:
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    country = None if _at_home(number, region) else _country_name(number)
    return ServiceNumber(digits=assumed.service_number_digits(e164, region), e164=e164,
                         display=_display(number, region), rest=rest, region=region,
                         country=country)


def _country_name(number: phonenumbers.PhoneNumber) -> str:
    """The English name of the number's country ("United Kingdom"), or its calling code when
    the code is shared or unknown. pycountry, not phonenumbers' geocoder: importing that one
    loads every prefix's place names, about 100 MB for the bot's life."""
    found = pycountry.countries.get(alpha_2=phonenumbers.region_code_for_number(number) or "")
    if found is None:
        return f"+{number.country_code}"
    return str(getattr(found, "common_name", None) or found.name)


def _article(word: str) -> str:
    # "a United Kingdom number", "an Irish…": U usually sounds like "you" in country names.
    return "an" if word[:1].upper() in "AEIO" else "a"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
