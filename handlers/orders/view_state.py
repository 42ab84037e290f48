"""Reading the order modal's state into a ``FormInput``, and errors back onto its blocks."""

from __future__ import annotations

from typing import Any

from blocks.ids import ACKNOWLEDGEMENTS_BLOCK, OTHER_SUFFIX
from bot.domain import FieldInput, FormInput
from bot.orders.form import FormErrors


def form_input(state_values: dict[str, dict[str, Any]]) -> FormInput:
    fields: dict[str, FieldInput] = {}
    acknowledged: list[str] = []
    for block_id, actions in (state_values or {}).items():
        for element in (actions or {}).values():
            if not isinstance(element, dict):
                continue
            if block_id == ACKNOWLEDGEMENTS_BLOCK:
                acknowledged = [o.get("value") for o in element.get("selected_options") or []
                                if o.get("value")]
                continue
            if block_id.endswith(OTHER_SUFFIX):
                prop = block_id[: -len(OTHER_SUFFIX)]
                fields.setdefault(prop, FieldInput()).text = element.get("value")
                continue
            field = fields.setdefault(block_id, FieldInput())
            kind = element.get("type")
            if kind == "datepicker":
                field.date = element.get("selected_date")
            elif kind in ("static_select", "external_select", "radio_buttons"):
                option = element.get("selected_option") or {}
                field.choice_id = option.get("value")
            else:
                field.text = element.get("value")
    return FormInput(fields=fields, acknowledged=acknowledged)


def block_errors(errors: FormErrors) -> dict[str, str]:
    mapped = dict(errors.fields)
    mapped.update({prop + OTHER_SUFFIX: message for prop, message in errors.other.items()})
    if errors.acknowledgements:
        mapped[ACKNOWLEDGEMENTS_BLOCK] = errors.acknowledgements
    return mapped
