"""Reading line numbers the way people write them."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import HelpdeskTicket
from bot.helpdesk.service import ticket_number
from bot.mobproc import assumed
from bot.phone import NumberNotFound, format_service_number, parse_service_number


@pytest.mark.parametrize("text", [
    "(415) 555-0199", "415-555-0199", "415.555.0199", "415 555 0199", "+1 415 555 0199",
    "1-415-555-0199", "4155550199", "+14155550199", "<tel:+14155550199|415-555-0199>",
])
def test_common_written_forms(text: str) -> None:
    number = parse_service_number(text)
    assert number.digits == "4155550199"
    assert number.display == "(415) 555-0199"
    assert number.e164 == "+14155550199"


def test_free_text_around_the_number_is_kept_apart() -> None:
    number = parse_service_number("urgent: 415-555-0199 stolen at the airport")
    assert number.digits == "4155550199"
    assert number.rest == "urgent: stolen at the airport"


@pytest.mark.parametrize("text", ["", "   ", "my phone is gone", "call 12"])
def test_no_number_gets_a_helpful_message(text: str) -> None:
    with pytest.raises(NumberNotFound) as failure:
        parse_service_number(text)
    assert "415-555-0199" in str(failure.value)


def test_other_regions() -> None:
    number = parse_service_number("020 7946 0958", region="GB")
    assert number.digits == "2079460958"
    assert number.e164 == "+442079460958"


def test_format_service_number() -> None:
    assert format_service_number("4155550199") == "(415) 555-0199"
    assert format_service_number("12") == "12"  # not a possible number: shown as it is


TEMPLATES = ["({a}) {e}-{s}", "{a}-{e}-{s}", "{a}.{e}.{s}", "{a} {e} {s}", "+1 {a} {e} {s}",
             "1-{a}-{e}-{s}", "{a}{e}{s}"]
words = st.lists(st.text(alphabet=st.characters(whitelist_categories=("Ll", "Lu")),
                         min_size=1, max_size=8), max_size=4).map(" ".join)


@given(area=st.integers(200, 999), exchange=st.integers(200, 999),
       subscriber=st.integers(0, 9999), template=st.sampled_from(TEMPLATES),
       before=words, after=words)
def test_any_nanp_number_in_any_common_form(area: int, exchange: int, subscriber: int,
                                            template: str, before: str, after: str) -> None:
    digits = f"{area}{exchange}{subscriber:04d}"
    if not phonenumbers.is_valid_number(phonenumbers.parse(digits, "US")):
        return  # e.g. 555-01xx fictional ranges aside, some area codes don't exist
    written = template.format(a=digits[:3], e=digits[3:6], s=digits[6:])
    number = parse_service_number(f"{before} {written} {after}")
    assert number.digits == digits


# --- numbers from abroad: read and matched in full (E.164) --------------------------------

def test_a_uk_number_stays_a_uk_number_in_a_us_tenant() -> None:
    number = parse_service_number("stolen in London: +44 20 7946 0958 please", region="US")
    assert number.e164 == "+442079460958"
    assert number.digits == "442079460958"  # MobProc's serviceNumber by the assumed rule
    assert number.display == "+44 20 7946 0958"
    assert number.country == "United Kingdom"
    assert number.understood == "+44 20 7946 0958 as a United Kingdom number"
    assert number.rest == "stolen in London: please"
    home = parse_service_number("(207) 946-0958", region="US")
    assert home.e164 == "+12079460958" and home.digits == "2079460958"
    assert home.country is None and home.understood == "(207) 946-0958"
    # Written the UK way without its country code, it is no number here: the person is told
    # to give the country code rather than the bot guessing a US line.
    with pytest.raises(NumberNotFound, match=r"\+44 20 7946 0958"):
        parse_service_number("020 7946 0958", region="US")


@pytest.mark.parametrize(("digits", "region", "e164"), [
    ("2079460958", "US", "+12079460958"),  # the tenant's own line: national digits
    ("442079460958", "US", "+442079460958"),  # abroad: country code + national digits
    ("2079460958", "GB", "+442079460958"),
    ("14155550199", "GB", "+14155550199"),
    ("4045553104", "US", "+14045553104"),  # Tangoe's own example
    ("12", "US", None),
    ("", "US", None),
])
def test_the_assumed_service_number_rule(digits: str, region: str, e164: str | None) -> None:
    assert assumed.service_number_e164(digits, region) == e164
    if e164 is not None:
        assert assumed.service_number_digits(e164, region) == digits


def test_mobproc_numbers_from_abroad_are_shown_in_international_format() -> None:
    assert format_service_number("442079460958") == "+44 20 7946 0958"
    assert format_service_number("2079460958") == "(207) 946-0958"
    assert format_service_number("2079460958", "GB") == "020 7946 0958"


def test_a_ticket_keeps_the_country_of_its_number() -> None:
    def ticket(stored: str, text: str) -> HelpdeskTicket:
        return HelpdeskTicket(id="t", channel="C", message_ts="1.1", poster_id="U",
                              text=text, service_number=stored)

    assert ticket_number(ticket("+442079460958", "lost +44 20 7946 0958"), "US").e164 == \
        "+442079460958"
    # Stored before numbers were kept in full: national digits; the message tells the country.
    assert ticket_number(ticket("2079460958", "lost +44 20 7946 0958"), "US").e164 == \
        "+442079460958"
    assert ticket_number(ticket("2079460958", "lost (207) 946-0958"), "US").e164 == \
        "+12079460958"


def _examples() -> list[tuple[str, str]]:
    """(region, E.164) of phonenumbers' example number of each type in each region."""
    found: dict[str, str] = {}
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in (phonenumbers.PhoneNumberType.MOBILE,
                     phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None and phonenumbers.region_code_for_number(example) == region:
                found.setdefault(phonenumbers.format_number(
                    example, phonenumbers.PhoneNumberFormat.E164), region)
    return [(region, e164) for e164, region in found.items()]


EXAMPLES = _examples()
INTERNATIONAL = [phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                 phonenumbers.PhoneNumberFormat.E164]


@given(example=st.sampled_from(EXAMPLES), style=st.sampled_from(INTERNATIONAL),
       home=st.sampled_from(["US", "GB", "DE", "IN", "AU"]), before=words, after=words)
def test_a_number_from_anywhere_is_read_as_itself(example: tuple[str, str],
                                                  style: phonenumbers.PhoneNumberFormat,
                                                  home: str, before: str, after: str) -> None:
    region, e164 = example
    written = phonenumbers.format_number(phonenumbers.parse(e164), style)
    number = parse_service_number(f"{before} {written} {after}", region=home)
    assert number.e164 == e164  # never re-read as a number of the tenant's own country
    assert (number.country is None) == (region == home)
    assert number.display == phonenumbers.format_number(
        phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.NATIONAL
        if region == home else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    # How MobProc writes it reads back as the same number, unless those digits are also a
    # valid number at home (the documented ambiguity of digits-only numbers): then they are
    # read as that one, so the typed number matches no line rather than a wrong one.
    back = assumed.service_number_e164(number.digits, home)
    if back != e164:
        assert back is not None
        at_home = phonenumbers.parse(back)
        assert phonenumbers.is_valid_number(at_home)
        assert at_home.country_code == phonenumbers.country_code_for_region(home)
