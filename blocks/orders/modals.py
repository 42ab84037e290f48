"""The order modal: loading, error, and the form built from MobProc's property definitions."""

from __future__ import annotations

from typing import Any

from blocks.ids import (
    ACKNOWLEDGEMENTS_BLOCK,
    EXTERNAL_SELECT_THRESHOLD,
    FORM_ERROR_BLOCK,
    ORDER_FORM_CALLBACK,
    OTHER_SUFFIX,
    VALUE_ACTION,
)
from blocks.line import line_facts
from blocks.text import (
    HINT,
    INPUT_LABEL,
    INPUT_LENGTH,
    MODAL_BLOCKS,
    MODAL_TITLE,
    OPTION_TEXT,
    OPTION_VALUE,
    context,
    escape_mrkdwn,
    fields_section,
    plain,
    section,
    truncate,
)
from bot.domain import (
    ORDER_KINDS,
    FieldInput,
    FormInput,
    LineRequest,
    OrderForm,
    OrderKind,
    RequestState,
)
from bot.mobproc.models import Choice, PropertyDefinition

# A long instruction field gets a multi-line box.
MULTILINE_FROM = 150


def _modal(kind: OrderKind, blocks: list[dict[str, Any]], *, submit: str | None = None,
           close: str = "Close", private_metadata: str = "") -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "title": plain(kind.title, MODAL_TITLE),
        "close": plain(close, MODAL_TITLE),
        "blocks": blocks,
    }
    if submit:
        view["submit"] = plain(submit, MODAL_TITLE)
        view["callback_id"] = ORDER_FORM_CALLBACK
        view["private_metadata"] = private_metadata
    return view


def loading_view(kind: OrderKind) -> dict[str, Any]:
    return _modal(kind, [section(":hourglass_flowing_sand: Looking up the line in MobProc…")])


def error_view(kind: OrderKind, message: str) -> dict[str, Any]:
    return _modal(kind, [
        section(f":warning: {escape_mrkdwn(message)}"),
        context(f"Nothing was ordered. Run `{kind.command}` again when you're ready."
                if kind.command else "Nothing was ordered."),
    ])


def checking_view(kind: OrderKind) -> dict[str, Any]:
    """The answer to a submission MobProc hasn't confirmed within Slack's 3 s."""
    return _modal(kind, [
        section(":hourglass_flowing_sand: MobProc is checking your order. This view shows "
                "the result in a moment: the confirmation, or what to change."),
        context("You can close it: once MobProc confirms, the request goes to the approvers "
                "and I'll send you a link to it."),
    ])


def _where(channel: str | None) -> str:
    return f"<#{channel}>" if channel and channel.startswith(("C", "G")) else "the approvers"


def sent_view(req: LineRequest, approval_channel: str | None) -> dict[str, Any]:
    """MobProc confirmed (after the checking view): the request goes for approval."""
    return _modal(req.kind, [
        section(f":white_check_mark: MobProc confirmed the order. Your request to "
                f"*{req.kind.verb}* the line is going to {_where(approval_channel)} for "
                "approval; I'll send you a link to it."),
        context(f"Reference `{escape_mrkdwn(req.external_order_number)}`"),
    ])


def already_sent_view(req: LineRequest, approval_channel: str | None) -> dict[str, Any]:
    """A repeated submit of a form whose request is past the form: where it is."""
    if req.state is RequestState.PENDING and req.approval_permalink:
        where = f"<{req.approval_permalink}|its approval request> in {_where(req.approval_channel)}"
        text = f":inbox_tray: This request was already sent. It waits for an approver: {where}."
    elif req.state is RequestState.PENDING:
        text = (":inbox_tray: This request was already sent. It is being posted to "
                f"{_where(req.approval_channel or approval_channel)} for approval; I'll send "
                "you a link to it.")
    else:
        text = (f":information_source: This request was already sent and is now "
                f"*{req.state.value}*. `/line-status` shows where it is.")
    return _modal(req.kind, [section(text), context(
        f"Reference `{escape_mrkdwn(req.external_order_number)}`. Nothing was sent twice.")])


def order_form_view(form: OrderForm, *, entered: FormInput | None = None,
                    error: str | None = None, region: str = "US") -> dict[str, Any]:
    kind = ORDER_KINDS[form.transaction_type]
    entered = entered or FormInput()
    top: list[dict[str, Any]] = []
    if error:
        top.append(section(f":warning: *MobProc refused this order:* {escape_mrkdwn(error)}",
                           block_id=FORM_ERROR_BLOCK))
    top.append(section(f"You're asking to *{kind.verb}* this line:"))
    top.extend(fields_section(line_facts(form.service, region)))

    inputs: list[dict[str, Any]] = []
    for group in form.property_groups:
        for definition in group.fields:
            inputs.extend(_property_blocks(definition, entered.fields.get(definition.id)))

    acks = _acknowledgement_blocks(form, entered)
    blocks = [*top, {"type": "divider"}, *acks, *inputs]
    if len(blocks) > MODAL_BLOCKS:
        # Info paragraphs are the least needed: keep every input a person must answer.
        blocks = top + [b for b in acks if b.get("type") == "input"] + inputs
        blocks = blocks[:MODAL_BLOCKS]
    return _modal(kind, blocks, submit="Review order", close="Cancel",
                  private_metadata=form.request_id)


def acknowledgement_blocks(form: OrderForm, entered: FormInput) -> list[dict[str, Any]]:
    """The statements to accept, as the order form shows them (also used by other forms)."""
    return _acknowledgement_blocks(form, entered)


def property_blocks(definition: PropertyDefinition, entered: FieldInput | None
                    ) -> list[dict[str, Any]]:
    """One property's input (block_id = the definition's id), as the order form shows it."""
    return _property_blocks(definition, entered)


def _acknowledgement_blocks(form: OrderForm, entered: FormInput) -> list[dict[str, Any]]:
    acks = form.acknowledgements
    if not acks.acknowledgements:
        return []
    blocks: list[dict[str, Any]] = []
    for info in acks.infoblocks:
        text = "\n".join(escape_mrkdwn(p.text) for p in info.paragraphs)
        title = f"*{escape_mrkdwn(info.header)}*\n" if info.header else ""
        blocks.append(section(title + text))
    statements = "\n".join(f"{n}. {escape_mrkdwn(a.label)}"
                           for n, a in enumerate(acks.acknowledgements, 1))
    blocks.append(section("*Please confirm each statement:*\n" + statements))
    options = [{"text": plain(truncate(f"{n}. {a.label}", OPTION_TEXT), OPTION_TEXT),
                "value": a.id[:OPTION_VALUE]}
               for n, a in enumerate(acks.acknowledgements, 1)]
    element: dict[str, Any] = {"type": "checkboxes", "action_id": VALUE_ACTION,
                               "options": options[:10]}
    chosen = [o for o in options if o["value"] in entered.acknowledged]
    if chosen:
        element["initial_options"] = chosen
    blocks.append({
        "type": "input",
        "block_id": ACKNOWLEDGEMENTS_BLOCK,
        "label": plain("I confirm", INPUT_LABEL),
        "optional": not any(a.required for a in acks.acknowledgements),
        "element": element,
    })
    return blocks


def _property_blocks(definition: PropertyDefinition, entered: FieldInput | None
                     ) -> list[dict[str, Any]]:
    kind = definition.type.upper()
    if kind == "DATE":
        element = _datepicker(definition, entered)
    elif kind == "CHOICE":
        element = _select(definition, entered)
    else:
        element = _text_input(definition, entered)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": definition.id,
        "label": plain(definition.display_label, INPUT_LABEL),
        "optional": not definition.required,
        "element": element,
    }
    hint = _hint(definition)
    if hint:
        block["hint"] = plain(hint, HINT)
    blocks = [block]
    other = next((c for c in definition.choices if c.isOther), None) if kind == "CHOICE" else None
    if other is not None:
        other_input: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE_ACTION,
                                       "max_length": INPUT_LENGTH}
        if entered and entered.text:
            other_input["initial_value"] = entered.text[:INPUT_LENGTH]
        blocks.append({
            "type": "input",
            "block_id": definition.id + OTHER_SUFFIX,
            "label": plain(f"{definition.display_label}: if “{other.label or 'Other'}”, "
                           "please specify", INPUT_LABEL),
            "optional": True,
            "element": other_input,
        })
    return blocks


def _hint(definition: PropertyDefinition) -> str:
    parts: list[str] = []
    # A date picker has its own format; MobProc's "mm/dd/yyyy" hint would only confuse.
    if definition.pattern and definition.type.upper() != "DATE":
        parts.append(f"Format: {definition.pattern}")
    low = definition.minLength or 0
    # Slack's text input holds at most 3000 characters, whatever MobProc allows.
    high = min(definition.maxLength, INPUT_LENGTH) if definition.maxLength else None
    if definition.type.upper() == "TEXT" and high and low:
        parts.append(f"{low}–{high} characters")
    elif definition.type.upper() == "TEXT" and high:
        parts.append(f"Up to {high} characters")
    return ". ".join(parts)


def _text_input(definition: PropertyDefinition, entered: FieldInput | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE_ACTION}
    high = min(definition.maxLength, INPUT_LENGTH) if definition.maxLength else INPUT_LENGTH
    low = min(max(definition.minLength or 0, 0), high)
    element["max_length"] = high
    if low:
        element["min_length"] = low
    if high > MULTILINE_FROM or "INSTRUCTION" in definition.id.upper():
        element["multiline"] = True
    value = entered.text if entered and entered.text is not None else definition.text
    if value:
        element["initial_value"] = value[:high]
    return element


def _datepicker(definition: PropertyDefinition, entered: FieldInput | None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker", "action_id": VALUE_ACTION}
    if entered and entered.date:
        element["initial_date"] = entered.date
    elif definition.date is not None:
        element["initial_date"] = definition.date.date().isoformat()
    return element


def _option(choice: Choice) -> dict[str, Any]:
    return {"text": plain(choice.label or choice.id, OPTION_TEXT),
            "value": choice.id[:OPTION_VALUE]}


def _select(definition: PropertyDefinition, entered: FieldInput | None) -> dict[str, Any]:
    chosen_id = entered.choice_id if entered and entered.choice_id else (
        definition.choice.id if definition.choice else None)
    chosen = next((c for c in definition.choices if c.id == chosen_id), None)
    element: dict[str, Any]
    if len(definition.choices) > EXTERNAL_SELECT_THRESHOLD:
        element = {"type": "external_select", "action_id": VALUE_ACTION, "min_query_length": 0,
                   "placeholder": plain("Type to search", 150)}
    else:
        element = {"type": "static_select", "action_id": VALUE_ACTION,
                   "placeholder": plain("Choose one", 150),
                   "options": [_option(c) for c in definition.choices]}
    if chosen is not None:
        element["initial_option"] = _option(chosen)
    return element


def choice_options(definition: PropertyDefinition, query: str) -> list[dict[str, Any]]:
    """Options for an external select, filtered by what the person typed (at most 100)."""
    needle = (query or "").strip().lower()
    matches = [c for c in definition.choices
               if not needle or needle in (c.label or c.id).lower()]
    return [_option(c) for c in matches[:EXTERNAL_SELECT_THRESHOLD]]

