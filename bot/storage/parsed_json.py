"""Stored JSON parsed once: a request's form and confirmation, kept by row."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, TypeVar

from bot.domain import OrderForm
from bot.mobproc.models import (
    AcknowledgementsResponse,
    OrderConfirmation,
    PropertyGroup,
    PropertyValueGroup,
    ServiceAsset,
    TransactionType,
)

T = TypeVar("T")


class ParsedJSON:
    """A request's stored JSON as models, parsed once: the form is fixed when the request is
    created and the confirmation once it is confirmed, so neither is parsed again on every
    read (each read of a request used to validate them all anew). Bounded, least recently
    used first out; one per repository, so one per database."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._forms: OrderedDict[str, OrderForm] = OrderedDict()
        self._confirmed: OrderedDict[str, tuple[list[PropertyValueGroup],
                                                OrderConfirmation | None]] = OrderedDict()

    def keep(self, form: OrderForm) -> OrderForm:
        remember(self._forms, form.request_id, form, self._size)
        return form

    def form(self, row: Any) -> OrderForm:
        form = remembered(self._forms, row.id)
        if form is None:
            form = OrderForm(
                request_id=row.id,
                transaction_type=TransactionType(row.transaction_type),
                service=ServiceAsset.model_validate(row.service_json),
                property_groups=[PropertyGroup.model_validate(g)
                                 for g in row.form_json.get("property_groups", [])],
                acknowledgements=AcknowledgementsResponse.model_validate(
                    row.form_json.get("acknowledgements") or {}),
            )
            remember(self._forms, row.id, form, self._size)
        return form

    def confirmed(self, row: Any) -> tuple[list[PropertyValueGroup],
                                                      OrderConfirmation | None]:
        if row.confirmation_json is None:  # not confirmed yet: nothing fixed to keep
            return ([PropertyValueGroup.model_validate(g) for g in row.properties_json or []],
                    None)
        found = remembered(self._confirmed, row.id)
        if found is None:
            found = ([PropertyValueGroup.model_validate(g) for g in row.properties_json or []],
                     OrderConfirmation.model_validate(row.confirmation_json))
            remember(self._confirmed, row.id, found, self._size)
        return found


def remembered(cache: OrderedDict[str, T], key: str) -> T | None:
    found = cache.get(key)
    if found is not None:
        cache.move_to_end(key)
    return found


def remember(cache: OrderedDict[str, T], key: str, value: T, size: int) -> None:
    cache[key] = value
    if len(cache) > size:
        cache.popitem(last=False)
