"""The details modal of /offboard-lines: which properties are asked once for several orders,
and how one set of answers becomes each order's own input. Pure: no Slack, no I/O.

A property is asked once for every chosen order whose MobProc definition of it is alike
(same id, type, label and choices): the contact number, the instructions. Preferred dates are one
"preferred date" whatever the order type calls them. Definitions that differ (a suspension's
reason and a deactivation's) are asked once per order type, or per line if even those differ.
A field MobProc pre-filled with the line's own number is that line's, and is not asked.
"""

from __future__ import annotations

from collections import defaultdict

from bot.domain import ORDER_KINDS, FieldInput, FormInput, OrderForm
from bot.mobproc.models import AcknowledgementsResponse, PropertyDefinition
from bot.offboarding.models import BundleField, BundleForm
from bot.orders.form import FormErrors, FormResult, read_form
from bot.phone import format_service_number

PREFERRED_DATE = "PREFERRED_DATE"


def _digits(text: str | None) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def own_number(definition: PropertyDefinition, form: OrderForm) -> bool:
    line = _digits(form.service.serviceNumber)
    return bool(line) and _digits(definition.text) == line


def _base(definition: PropertyDefinition) -> str:
    if definition.type.upper() == "DATE" and definition.id.upper().startswith("PREFERRED"):
        return PREFERRED_DATE
    return definition.id


def _signature(definition: PropertyDefinition) -> tuple[object, ...]:
    if _base(definition) == PREFERRED_DATE:
        return ("DATE",)  # "Preferred suspension date", "… deactivation date": one date
    # Choices are alike only if their labels are too: the same ids can mean other things.
    return (definition.type.upper(), definition.display_label,
            tuple((c.id, c.label, c.isOther) for c in definition.choices))


def build(offboarding_id: str, forms: list[OrderForm], region: str = "US") -> BundleForm:
    asked: list[tuple[OrderForm, PropertyDefinition]] = [
        (form, d) for form in forms for g in form.property_groups for d in g.fields
        if not own_number(d, form)]
    by_base: dict[str, list[tuple[OrderForm, PropertyDefinition]]] = defaultdict(list)
    for form, definition in asked:
        by_base[_base(definition)].append((form, definition))

    keyed: dict[str, list[tuple[OrderForm, PropertyDefinition]]] = {}
    for base, uses in by_base.items():
        if len({_signature(d) for _, d in uses}) == 1:
            keyed[base] = uses
            continue
        by_type: dict[str, list[tuple[OrderForm, PropertyDefinition]]] = defaultdict(list)
        for form, d in uses:
            by_type[form.transaction_type.value].append((form, d))
        for type_name, same_type in by_type.items():
            if len({_signature(d) for _, d in same_type}) == 1:
                keyed[f"{base}.{type_name}"] = same_type
            else:
                for form, d in same_type:
                    keyed[f"{base}.{form.request_id}"] = [(form, d)]

    fields: list[BundleField] = []
    for key, uses in keyed.items():
        first = uses[0][1]
        label = "Preferred date" if key.startswith(PREFERRED_DATE) else first.display_label
        covered = {f.request_id for f, _ in uses}
        if len(covered) < len(forms):
            if len(uses) == 1:
                form = uses[0][0]
                label += (f" ({ORDER_KINDS[form.transaction_type].noun} of "
                          f"{format_service_number(form.service.serviceNumber, region)})")
            else:
                nouns = dict.fromkeys(ORDER_KINDS[f.transaction_type].noun for f, _ in uses)
                label += f" ({' and '.join(n + 's' for n in nouns)})"
        required = any(d.required for _, d in uses)
        shown = first.model_copy(update={
            "id": key, "label": label, "validation": "REQUIRED" if required else "OPTIONAL"})
        fields.append(BundleField(key=key, definition=shown,
                                  request_ids=[f.request_id for f, _ in uses]))
    return BundleForm(offboarding_id=offboarding_id, forms=forms, fields=fields,
                      acknowledgements=_acknowledgements(forms))


def _acknowledgements(forms: list[OrderForm]) -> AcknowledgementsResponse:
    """Statements every transfer needs, each shown once however many lines need it."""
    infoblocks, statements, seen_info, seen = [], [], set(), set()
    for form in forms:
        for info in form.acknowledgements.infoblocks:
            if info.header not in seen_info:
                seen_info.add(info.header)
                infoblocks.append(info)
        for ack in form.acknowledgements.acknowledgements:
            if ack.id not in seen:
                seen.add(ack.id)
                statements.append(ack)
    return AcknowledgementsResponse(infoblocks=infoblocks, acknowledgements=statements)


def key_of(bundle: BundleForm, request_id: str, definition_id: str) -> str | None:
    for field in bundle.fields:
        if request_id in field.request_ids and _matches(field, definition_id):
            return field.key
    return None


def _matches(field: BundleField, definition_id: str) -> bool:
    key = field.key
    if key.startswith(PREFERRED_DATE):
        return definition_id.upper().startswith("PREFERRED")
    return key == definition_id or key.startswith(definition_id + ".")


def line_input(bundle: BundleForm, form: OrderForm, entered: FormInput) -> FormInput:
    """What one order gets from the shared answers (and its own pre-filled number)."""
    fields: dict[str, FieldInput] = {}
    for group in form.property_groups:
        for definition in group.fields:
            if own_number(definition, form):
                fields[definition.id] = FieldInput(text=definition.text)
                continue
            key = key_of(bundle, form.request_id, definition.id)
            if key is not None and key in entered.fields:
                fields[definition.id] = entered.fields[key]
    offered = {a.id for a in form.acknowledgements.acknowledgements}
    return FormInput(fields=fields, acknowledged=[a for a in entered.acknowledged if a in offered])


def read_bundle(bundle: BundleForm, entered: FormInput, region: str = "US"
                ) -> tuple[dict[str, FormResult], FormErrors]:
    """Each order's properties, and the errors mapped onto the modal's shared fields."""
    results: dict[str, FormResult] = {}
    errors = FormErrors()
    for form in bundle.forms:
        result = read_form(form, line_input(bundle, form, entered), region=region)
        results[form.request_id] = result
        for prop, message in result.errors.fields.items():
            key = key_of(bundle, form.request_id, prop)
            if key is not None:
                errors.fields.setdefault(key, message)
        for prop, message in result.errors.other.items():
            key = key_of(bundle, form.request_id, prop)
            if key is not None:
                errors.other.setdefault(key, message)
        if result.errors.acknowledgements:
            errors.acknowledgements = result.errors.acknowledgements
    return results, errors
