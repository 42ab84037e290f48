"""Block Kit as plain text for the demo and logs, and Block Kit Builder links."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

BUILDER = "https://app.slack.com/block-kit-builder/#"

_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<([@#!])([A-Za-z0-9_^-]+)(?:\|[^>]*)?>")


def readable(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack mrkdwn as a person reads it; ``names`` turns user ids into names."""
    known = names or {}
    text = _DATE.sub(r"\1", text)
    text = _LINK.sub(r"\2 (\1)", text)
    text = _MENTION.sub(
        lambda m: ("@" if m.group(1) in "@!" else "#") + known.get(m.group(2), m.group(2)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class _Renderer:
    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names

    def text(self, obj: Any) -> str:
        return readable(obj.get("text", ""), self.names) if isinstance(obj, dict) else ""

    def element(self, element: dict[str, Any]) -> str:
        kind = element.get("type")
        if kind == "button":
            return f"[{self.text(element.get('text'))}]"
        if kind == "plain_text_input":
            return f"[{element.get('initial_value', '') or '…'}]"
        if kind == "datepicker":
            return f"[date: {element.get('initial_date', 'pick a date')}]"
        if kind in ("static_select", "external_select"):
            chosen = element.get("initial_option")
            count = len(element.get("options", []))
            shown = self.text(chosen["text"]) if chosen else (
                f"choose one of {count}" if count else "type to search")
            return f"[▾ {shown}]"
        if kind == "checkboxes":
            ticked = {o["value"] for o in element.get("initial_options", [])}
            return "\n".join(
                f"  [{'x' if o['value'] in ticked else ' '}] {self.text(o['text'])}"
                for o in element.get("options", []))
        return f"[{kind}]"

    def block(self, block: dict[str, Any]) -> list[str]:
        kind = block.get("type")
        if kind == "header":
            return [f"## {self.text(block.get('text'))}"]
        if kind == "divider":
            return ["―" * 30]
        if kind == "section":
            lines = [self.text(block.get("text"))] if block.get("text") else []
            lines += [self.text(f).replace("\n", ": ", 1) for f in block.get("fields", [])]
            return lines
        if kind == "context":
            return ["  " + " ".join(self.text(e) for e in block.get("elements", []))]
        if kind == "actions":
            return [" ".join(self.element(e) for e in block.get("elements", []))]
        if kind == "input":
            optional = " (optional)" if block.get("optional") else ""
            hint = f"\n    ({self.text(block['hint'])})" if block.get("hint") else ""
            label = self.text(block.get("label"))
            return [f"{label}{optional}: {self.element(block['element'])}{hint}"]
        return [f"[{kind}]"]

    def payload(self, payload: dict[str, Any]) -> list[str]:
        lines: list[str] = []
        if payload.get("type") in ("modal", "home"):
            lines.append(f"┌ {self.text(payload.get('title'))} ┐")
        blocks = payload.get("blocks")
        if blocks:
            for block in blocks:
                lines.extend(self.block(block))
        elif payload.get("text"):
            lines.append(readable(payload["text"], self.names))
        buttons = [self.text(payload[k]) for k in ("close", "submit") if payload.get(k)]
        if buttons:
            lines.append("  ".join(f"[{b}]" for b in buttons))
        return lines


def to_text(payload: dict[str, Any], names: Mapping[str, str] | None = None) -> str:
    """A message (``text``/``blocks``) or a view as the lines a person would read."""
    return "\n".join(_Renderer(names or {}).payload(payload))


def builder_url(payload: dict[str, Any]) -> str:
    if payload.get("type") == "modal":
        keys = ("type", "title", "submit", "close", "blocks")
        body: dict[str, Any] = {k: payload[k] for k in keys if k in payload}
    else:
        body = {"blocks": payload.get("blocks", [])}
    return BUILDER + quote(json.dumps(body, separators=(",", ":")), safe="")
