"""Modal input → MobProc order properties, with errors on the right field."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.domain import FieldInput, FormInput, OrderForm
from bot.mobproc.models import (
    AcknowledgementsResponse,
    OrderRequest,
    PropertyDefinition,
    PropertyGroup,
    ServiceAsset,
    TransactionType,
)
from bot.orders.form import read_form

TODAY = date(2026, 11, 23)

DEFINITIONS = [
    PropertyDefinition(id="CONTACT_NUMBER", label="Contact Phone Number", type="TEXT",
                       validation="REQUIRED", minLength=10, maxLength=20,
                       regEx=r"^\+?[0-9 ().-]{10,20}$", pattern="digits"),
    PropertyDefinition(id="ADDITIONAL_INSTRUCTIONS", label="Additional Instructions",
                       type="TEXT", validation="OPTIONAL", maxLength=4000),
    PropertyDefinition(id="PREFERRED_SUSPENSION_DATE", label="Preferred Suspension Date",
                       type="DATE", validation="REQUIRED"),
    PropertyDefinition(id="Reason", label="Reason", type="CHOICE", validation="REQUIRED",
                       choices=[{"id": "1", "label": "Lost"}, {"id": "2", "label": "Stolen"},
                                {"id": "99", "label": "Other", "isOther": True}]),
]


def form(definitions: list[PropertyDefinition] | None = None,
         acks: AcknowledgementsResponse | None = None) -> OrderForm:
    return OrderForm(
        request_id="r1", transaction_type=TransactionType.SUSPEND,
        service=ServiceAsset(id="1", serviceNumber="4155550199"),
        property_groups=[PropertyGroup(groupId="MISCELLANEOUS",
                                       fields=definitions or DEFINITIONS)],
        acknowledgements=acks or AcknowledgementsResponse())


def valid(**changes: FieldInput) -> FormInput:
    fields = {
        "CONTACT_NUMBER": FieldInput(text=" 203-555-9999 "),
        "PREFERRED_SUSPENSION_DATE": FieldInput(date="2026-11-24"),
        "Reason": FieldInput(choice_id="1"),
    }
    fields.update(changes)
    return FormInput(fields=fields)


def body(result_properties: list) -> dict:  # type: ignore[type-arg]
    return OrderRequest(externalOrderNumber="x", transactionType="SUSPEND", serviceId="1",
                        properties=result_properties).to_body()["orderRequest"]


def test_a_valid_form_becomes_grouped_typed_properties() -> None:
    result = read_form(form(), valid(), today=TODAY)
    assert not result.errors
    fields = body(result.properties)["properties"][0]
    assert fields["groupId"] == "MISCELLANEOUS"
    by_id = {f["id"]: f for f in fields["fields"]}
    assert by_id["CONTACT_NUMBER"] == {"id": "CONTACT_NUMBER", "type": "TEXT",
                                       "text": "203-555-9999"}
    assert by_id["PREFERRED_SUSPENSION_DATE"] == {"id": "PREFERRED_SUSPENSION_DATE",
                                                  "type": "DATE",
                                                  "date": "2026-11-24T00:00:00+00:00"}
    assert by_id["Reason"] == {"id": "Reason", "type": "CHOICE", "choice": {"id": "1"}}
    assert "ADDITIONAL_INSTRUCTIONS" not in by_id  # optional and empty: not sent


def test_required_fields_missing() -> None:
    result = read_form(form(), FormInput(), today=TODAY)
    assert set(result.errors.fields) == {"CONTACT_NUMBER", "PREFERRED_SUSPENSION_DATE",
                                         "Reason"}


def test_text_rules() -> None:
    cases = {
        "12345": "at least 10",
        "1" * 21: "20 characters",
        "call me please!": "valid contact phone number",
        "203555\x009999": "control characters",
    }
    for text, expected in cases.items():
        result = read_form(form(), valid(CONTACT_NUMBER=FieldInput(text=text)), today=TODAY)
        assert expected in result.errors.fields["CONTACT_NUMBER"], text


def test_dates_in_the_past_are_refused() -> None:
    result = read_form(form(), valid(PREFERRED_SUSPENSION_DATE=FieldInput(date="2026-11-22")),
                       today=TODAY)
    assert "past" in result.errors.fields["PREFERRED_SUSPENSION_DATE"]
    today = read_form(form(), valid(PREFERRED_SUSPENSION_DATE=FieldInput(date="2026-11-23")),
                      today=TODAY)
    assert not today.errors


def test_choices() -> None:
    bad = read_form(form(), valid(Reason=FieldInput(choice_id="7")), today=TODAY)
    assert "isn't offered" in bad.errors.fields["Reason"]
    other = read_form(form(), valid(Reason=FieldInput(choice_id="99")), today=TODAY)
    assert "Reason" in other.errors.other and not other.errors.fields
    said = read_form(form(), valid(Reason=FieldInput(choice_id="99", text=" Dropped in lake ")),
                     today=TODAY)
    assert not said.errors
    sent = {f["id"]: f for f in body(said.properties)["properties"][0]["fields"]}
    assert sent["Reason"]["choice"] == {"id": "99", "otherText": "Dropped in lake"}
    # Text in the "other" box is ignored when another choice is picked.
    ignored = read_form(form(), valid(Reason=FieldInput(choice_id="2", text="x")), today=TODAY)
    assert {f["id"]: f for f in body(ignored.properties)["properties"][0]["fields"]}[
        "Reason"]["choice"] == {"id": "2"}


def test_acknowledgements_must_all_be_ticked() -> None:
    acks = AcknowledgementsResponse.model_validate({"acknowledgements": [
        {"id": "A", "label": "a", "validation": "REQUIRED"},
        {"id": "B", "label": "b", "validation": "REQUIRED"}]})
    some = valid()
    some.acknowledged = ["A"]
    assert read_form(form(acks=acks), some, today=TODAY).errors.acknowledgements
    some.acknowledged = ["A", "B"]
    result = read_form(form(acks=acks), some, today=TODAY)
    assert not result.errors
    assert [a.id for a in result.acknowledgements] == ["A", "B"]


printable = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=60)


@given(printable)
def test_any_text_within_limits_round_trips_stripped(text: str) -> None:
    definition = PropertyDefinition(id="NOTE", label="Note", type="TEXT",
                                    validation="REQUIRED", maxLength=60)
    result = read_form(form([definition]), FormInput(fields={"NOTE": FieldInput(text=text)}),
                       today=TODAY)
    if text.strip():
        assert not result.errors
        assert result.properties[0].fields[0].text == text.strip()
    else:
        assert "NOTE" in result.errors.fields and not result.properties[0].fields


@given(st.text(min_size=61, max_size=200).filter(lambda t: len(t.strip()) > 60))
def test_any_text_too_long_is_an_error_never_a_value(text: str) -> None:
    definition = PropertyDefinition(id="NOTE", label="Note", type="TEXT",
                                    validation="OPTIONAL", maxLength=60)
    result = read_form(form([definition]), FormInput(fields={"NOTE": FieldInput(text=text)}),
                       today=TODAY)
    assert "NOTE" in result.errors.fields
    assert not result.properties[0].fields


@given(st.dates(min_value=TODAY, max_value=TODAY + timedelta(days=3650)))
def test_any_date_from_today_maps_to_midnight_utc(day: date) -> None:
    definition = PropertyDefinition(id="PREFERRED_DATE", label="When", type="DATE",
                                    validation="REQUIRED")
    result = read_form(form([definition]),
                       FormInput(fields={"PREFERRED_DATE": FieldInput(date=day.isoformat())}),
                       today=TODAY)
    assert not result.errors
    assert result.properties[0].fields[0].date == datetime(day.year, day.month, day.day,
                                                           tzinfo=UTC)


def test_the_line_number_mobproc_filled_in_cannot_become_another_line() -> None:
    number = PropertyDefinition(id="SERVICE_NUMBER", label="Service Number", type="TEXT",
                                validation="REQUIRED", text="4155550199")
    the_form = form([number, *DEFINITIONS])
    # The same number written another way is the same line.
    same = read_form(the_form, valid(SERVICE_NUMBER=FieldInput(text="(415) 555-0199")),
                     today=TODAY)
    assert not same.errors
    other = read_form(the_form, valid(SERVICE_NUMBER=FieldInput(text="212-555-0123")),
                      today=TODAY)
    assert other.errors.fields["SERVICE_NUMBER"].startswith(
        "This order is for line (415) 555-0199.")
    # A text field that was not pre-filled with the line's number is free text.
    notes = read_form(the_form, valid(ADDITIONAL_INSTRUCTIONS=FieldInput(text="212-555-0123")),
                      today=TODAY)
    assert "ADDITIONAL_INSTRUCTIONS" not in notes.errors.fields
