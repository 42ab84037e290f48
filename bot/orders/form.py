"""What a person entered in the order modal → MobProc order properties, or precise errors.

Pure: no Slack, no I/O. Errors name the property they belong to, so the modal can show each
one under its own field.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from bot.domain import FieldInput, FormInput, OrderForm
from bot.mobproc.models import (
    AcknowledgementValue,
    ChoiceValue,
    PropertyDefinition,
    PropertyValue,
    PropertyValueGroup,
)
from bot.phone import format_service_number

SLACK_TEXT_LIMIT = 3000


@dataclass
class FormErrors:
    fields: dict[str, str] = field(default_factory=dict)  # property id → message
    other: dict[str, str] = field(default_factory=dict)  # property id → message on its "other" text
    acknowledgements: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.other or self.acknowledgements)


@dataclass
class FormResult:
    properties: list[PropertyValueGroup]
    acknowledgements: list[AcknowledgementValue]
    errors: FormErrors


def read_form(form: OrderForm, entered: FormInput, *, today: date | None = None,
              region: str = "US") -> FormResult:
    today = today or datetime.now(UTC).date()
    errors = FormErrors()
    groups: list[PropertyValueGroup] = []
    for group in form.property_groups:
        values: list[PropertyValue] = []
        for definition in group.fields:
            raw = entered.fields.get(definition.id, FieldInput())
            value = _read_field(definition, raw, today, errors)
            if value is not None and _names_another_line(definition, value, form):
                line = format_service_number(form.service.serviceNumber, region)
                errors.fields[definition.id] = (
                    f"This order is for line {line}. For another line, close this form and "
                    f"start a new order with that number.")
                value = None
            if value is not None:
                values.append(value)
        groups.append(PropertyValueGroup(groupId=group.groupId, fields=values))

    accepted = set(entered.acknowledged)
    offered = form.acknowledgements.acknowledgements
    if any(a.required and a.id not in accepted for a in offered):
        errors.acknowledgements = "Please tick every statement to go on with this order."
    acks = [AcknowledgementValue(id=a.id, boolean=True) for a in offered if a.id in accepted]
    return FormResult(properties=groups, acknowledgements=acks, errors=errors)


def _digits(text: str | None) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def _names_another_line(definition: PropertyDefinition, value: PropertyValue,
                        form: OrderForm) -> bool:
    """A field MobProc pre-filled with this line's number, edited to another number: the
    order would name one line and act on another."""
    line = _digits(form.service.serviceNumber)
    return (bool(line) and _digits(definition.text) == line
            and value.text is not None and _digits(value.text) != line)


def _read_field(definition: PropertyDefinition, raw: FieldInput, today: date,
                errors: FormErrors) -> PropertyValue | None:
    label = definition.display_label
    kind = definition.type.upper()
    if kind == "DATE":
        if not raw.date:
            if definition.required:
                errors.fields[definition.id] = f"Please pick the {label.lower()}."
            return None
        try:
            picked = date.fromisoformat(raw.date)
        except ValueError:
            errors.fields[definition.id] = "Please pick a date from the calendar."
            return None
        if definition.id.upper().startswith("PREFERRED") and picked < today:
            errors.fields[definition.id] = (
                f"{label} can't be in the past; pick today ({today:%b %-d}) or later."
            )
            return None
        when = datetime(picked.year, picked.month, picked.day, tzinfo=UTC)
        return PropertyValue(id=definition.id, type="DATE", date=when)

    if kind == "CHOICE":
        if not raw.choice_id:
            if definition.required:
                errors.fields[definition.id] = f"Please choose a {label.lower()}."
            return None
        choice = next((c for c in definition.choices if c.id == raw.choice_id), None)
        if choice is None:
            errors.fields[definition.id] = "That option isn't offered; please choose again."
            return None
        other: str | None = None
        if choice.isOther:
            other = _clean(raw.text)
            problem = _text_problem(other, max_length=SLACK_TEXT_LIMIT)
            if not other:
                errors.other[definition.id] = f"You chose “{choice.label}”: please say what."
                return None
            if problem:
                errors.other[definition.id] = problem
                return None
        return PropertyValue(id=definition.id, type="CHOICE",
                             choice=ChoiceValue(id=choice.id, otherText=other))

    # TEXT, and any type MobProc adds later that is typed in as text.
    text = _clean(raw.text)
    if not text:
        if definition.required:
            errors.fields[definition.id] = f"Please fill in {label}."
        return None
    max_length = definition.maxLength if definition.maxLength else None
    problem = _text_problem(text, max_length=max_length)
    if problem is None and definition.minLength and len(text) < definition.minLength:
        problem = f"Please enter at least {definition.minLength} characters."
    if problem is None and definition.regEx and not _matches(definition.regEx, text):
        hint = f" Expected: {definition.pattern}." if definition.pattern else ""
        problem = f"That doesn't look like a valid {label.lower()}.{hint}"
    if problem:
        errors.fields[definition.id] = problem
        return None
    return PropertyValue(id=definition.id, type=definition.type, text=text)


def _clean(text: str | None) -> str:
    return (text or "").strip()


def _text_problem(text: str, *, max_length: int | None) -> str | None:
    if max_length is not None and len(text) > max_length:
        return f"Please keep this to {max_length} characters (it has {len(text)})."
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        return "Please remove the control characters from this text."
    return None


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.fullmatch(pattern, text) is not None
    except re.error:
        # A pattern Python can't compile is MobProc's to check; don't block the person.
        return True
