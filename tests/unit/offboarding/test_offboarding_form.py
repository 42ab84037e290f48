"""The /offboard-lines details form: which fields are shared, how one answer reaches each
order, and how an order's error finds its shared field. Pure; the simulator's own property
definitions are the input, as MobProc would send them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import FieldInput, FormInput, OrderForm
from bot.mobproc.models import PropertyGroup, ServiceAsset, TransactionType
from bot.offboarding.form import build, key_of, line_input, own_number, read_bundle
from bot.offboarding.service import EmployeeRef, parse_employee
from bot.orders.service import OrderRefused
from bot.simulator import seed

TOMORROW = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()


def _form(n: int, tt: TransactionType, number: str = "3125550101") -> OrderForm:
    fields = seed.property_definitions(tt.value, number, "3125550100")
    return OrderForm(request_id=f"r{n}", transaction_type=tt,
                     service=ServiceAsset(id=f"s{n}", serviceNumber=number),
                     property_groups=[PropertyGroup.model_validate(
                         {"groupId": "MISCELLANEOUS", "fields": fields})])


def _three() -> list[OrderForm]:
    return [_form(1, TransactionType.DEACTIVATE, "3125550101"),
            _form(2, TransactionType.DEACTIVATE, "3125550102"),
            _form(3, TransactionType.SUSPEND, "3125550103")]


def test_alike_fields_are_asked_once_and_unlike_ones_per_order_type() -> None:
    bundle = build("o1", _three())
    keys = [f.key for f in bundle.fields]
    assert keys.count("CONTACT_NUMBER") == 1 and keys.count("PREFERRED_DATE") == 1
    # Deactivations share their reason; the suspension's reason means other things.
    assert "Reason.DEACTIVATE" in keys and "Reason.SUSPEND" in keys
    reason = next(f for f in bundle.fields if f.key == "Reason.DEACTIVATE")
    assert reason.request_ids == ["r1", "r2"] and "deactivations" in reason.definition.label
    assert "SERVICE_NUMBER" not in keys  # each line's own number is never asked


def test_one_answer_reaches_every_order_under_its_own_property_id() -> None:
    forms = _three()
    bundle = build("o1", forms)
    entered = FormInput(fields={"PREFERRED_DATE": FieldInput(date=TOMORROW),
                                "CONTACT_NUMBER": FieldInput(text="2035559999")})
    deactivation = line_input(bundle, forms[0], entered)
    suspension = line_input(bundle, forms[2], entered)
    assert deactivation.fields["PREFERRED_DEACTIVATION_DATE"].date == TOMORROW
    assert suspension.fields["PREFERRED_SUSPENSION_DATE"].date == TOMORROW
    assert suspension.fields["CONTACT_NUMBER"].text == "2035559999"
    # The line's own number goes to its own order only.
    assert deactivation.fields["SERVICE_NUMBER"].text == "3125550101"
    assert suspension.fields["SERVICE_NUMBER"].text == "3125550103"


def test_errors_land_on_the_shared_field_they_come_from() -> None:
    bundle = build("o1", _three())
    entered = FormInput(fields={"PREFERRED_DATE": FieldInput(date=TOMORROW),
                                "CONTACT_NUMBER": FieldInput(text="not a number")})
    results, errors = read_bundle(bundle, entered)
    assert "CONTACT_NUMBER" in errors.fields
    assert {"Reason.DEACTIVATE", "Reason.SUSPEND", "HOLD_SERVICE"} <= set(errors.fields)
    assert "PREFERRED_DATE" not in errors.fields
    assert set(results) == {"r1", "r2", "r3"}


def test_a_complete_answer_gives_each_order_its_properties() -> None:
    bundle = build("o1", _three())
    entered = FormInput(fields={
        "PREFERRED_DATE": FieldInput(date=TOMORROW),
        "CONTACT_NUMBER": FieldInput(text="2035559999"),
        "Reason.DEACTIVATE": FieldInput(choice_id="1"),
        "Reason.SUSPEND": FieldInput(choice_id="2"),
        "HOLD_SERVICE": FieldInput(choice_id="1")})
    results, errors = read_bundle(bundle, entered)
    assert not errors
    sent = {rid: {v.id for g in r.properties for v in g.fields} for rid, r in results.items()}
    assert sent["r3"] >= {"PREFERRED_SUSPENSION_DATE", "Reason", "HOLD_SERVICE",
                          "SERVICE_NUMBER", "CONTACT_NUMBER"}
    assert "HOLD_SERVICE" not in sent["r1"]


@given(st.lists(st.sampled_from(list(TransactionType)), min_size=1, max_size=6))
def test_every_asked_property_of_every_order_has_exactly_one_field(
        types: list[TransactionType]) -> None:
    forms = [_form(n, tt, f"31255501{n:02d}") for n, tt in enumerate(types)]
    bundle = build("o1", forms)
    for form in forms:
        for definition in form.property_groups[0].fields:
            key = key_of(bundle, form.request_id, definition.id)
            if own_number(definition, form):
                assert key is None
                continue
            assert key is not None
            holders = [f for f in bundle.fields if f.key == key]
            assert len(holders) == 1 and form.request_id in holders[0].request_ids
    assert len({f.key for f in bundle.fields}) == len(bundle.fields)


@pytest.mark.parametrize("text, expected", [
    ("<@U123ABC|lena>", EmployeeRef(slack_user="U123ABC")),
    ("<@W42>", EmployeeRef(slack_user="W42")),
    ("<mailto:lena@acme.com|lena@acme.com>", EmployeeRef(employee_id="lena@acme.com")),
    ("lena.leaver.acme", EmployeeRef(employee_id="lena.leaver.acme")),
    ("  E-1042 ", EmployeeRef(employee_id="E-1042")),
])
def test_the_person_can_be_named_three_ways(text: str, expected: EmployeeRef) -> None:
    assert parse_employee(text) == expected


@pytest.mark.parametrize("text", ["<@U1|a> <@U2|b>", "lena leaver", "<#C123|general>",
                                  "x" * 400, "lena;drop", ""])
def test_anything_else_is_refused_plainly(text: str) -> None:
    with pytest.raises(OrderRefused):
        parse_employee(text)
