"""Reading line numbers the way people write them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    import phonenumbers

    if not phonenumbers.is_valid_number(phonenumbers.parse(digits, "US")):
        return  # e.g. 555-01xx fictional ranges aside, some area codes don't exist
    written = template.format(a=digits[:3], e=digits[3:6], s=digits[6:])
    number = parse_service_number(f"{before} {written} {after}")
    assert number.digits == digits
