"""The order summary shared by the approval message and its decided form."""

from __future__ import annotations

from typing import Any

from blocks.line import line_facts
from blocks.text import escape_mrkdwn, fields_section, header, readable_date, section, truncate
from bot.domain import LineRequest
from bot.mobproc.models import PropertyDefinition, PropertyValue

# Room kept in a 50-block message for the header, decision line and buttons.
MAX_PROPERTY_SECTIONS = 30


def property_text(value: PropertyValue, definition: PropertyDefinition | None) -> str:
    """A property's value as a person reads it: choice labels, readable dates."""
    if value.type == "DATE":
        return readable_date(value.date)
    if value.type == "CHOICE" and value.choice is not None:
        label = value.choice.id
        if definition is not None:
            label = next((c.label or c.id for c in definition.choices
                          if c.id == value.choice.id), label)
        text = escape_mrkdwn(label)
        if value.choice.otherText:
            text += f": {escape_mrkdwn(value.choice.otherText)}"
        return text
    return escape_mrkdwn(value.text or "—")


def _properties(req: LineRequest) -> list[tuple[str, str]]:
    definitions = {d.id: d for d in req.definitions}
    # MobProc's confirmation echoes the properties with labels; fall back to what was sent.
    groups = req.confirmation.properties if req.confirmation and req.confirmation.properties \
        else req.properties
    pairs: list[tuple[str, str]] = []
    for group in groups:
        for value in group.fields:
            definition = definitions.get(value.id)
            label = value.label or (definition.display_label if definition else value.id)
            pairs.append((escape_mrkdwn(label), truncate(property_text(value, definition), 1900)))
    return pairs


def order_summary(req: LineRequest, region: str) -> list[dict[str, Any]]:
    kind = req.kind
    blocks: list[dict[str, Any]] = [header(f"{kind.title[:1].upper()}{kind.title[1:]}"
                                           f" — approval needed")]
    asker = f"<@{req.requester_id}>"
    blocks.append(section(f"{asker} asks to *{kind.verb}* this line "
                          f"(`{req.transaction_type.value}`)."))
    # The message outlives the moment: once the order runs, the line's status here is history.
    facts = [("Status when asked" if k == "Status" else k, v)
             for k, v in line_facts(req.service, region)]
    confirmation = req.confirmation
    if confirmation is not None:
        if confirmation.accountHolder is not None:
            holder = escape_mrkdwn(confirmation.accountHolder.display_name)
            if confirmation.accountHolder.email:
                holder += f" ({escape_mrkdwn(confirmation.accountHolder.email)})"
            facts = [(k, holder if k == "Account holder" else v) for k, v in facts]
        if confirmation.device is not None:
            device = escape_mrkdwn(confirmation.device.display_name)
            facts = [(k, device if k == "Device" else v) for k, v in facts]
        if confirmation.region is not None and confirmation.region.name:
            facts.append(("Region", escape_mrkdwn(confirmation.region.name)))
    blocks.extend(fields_section(facts))
    props = _properties(req)
    if props:
        blocks.append(section("*Order details*"))
        blocks.extend(fields_section(props)[:MAX_PROPERTY_SECTIONS])
    if req.acknowledged:
        blocks.append(section(":ballot_box_with_check: The requester accepted: "
                              + ", ".join(f"`{escape_mrkdwn(a)}`" for a in req.acknowledged)))
    return blocks
