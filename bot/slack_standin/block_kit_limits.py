"""Slack's documented Block Kit limits, checked the way Slack's API refuses payloads."""

from __future__ import annotations

from typing import Any

BLOCK_TYPES = {"section", "divider", "header", "context", "actions", "input", "image",
               "rich_text", "file", "video"}
ELEMENT_TYPES = {"button", "static_select", "external_select", "users_select",
                 "conversations_select", "channels_select", "multi_static_select",
                 "checkboxes", "radio_buttons", "datepicker", "timepicker", "datetimepicker",
                 "plain_text_input", "email_text_input", "number_input", "url_text_input",
                 "image", "overflow", "plain_text", "mrkdwn"}


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def text(self, where: str, obj: Any, limit: int, *, plain_only: bool = False) -> None:
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            self.fail(where, "must be a text object")
            return
        if plain_only and obj["type"] != "plain_text":
            self.fail(where, "must be plain_text")
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            self.fail(where, "text must be a non-empty string")
        elif len(text) > limit:
            self.fail(where, f"must be at most {limit} characters (has {len(text)})")

    def length(self, where: str, value: Any, limit: int) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.fail(where, f"must be at most {limit} characters (has {len(value)})")

    def option(self, where: str, option: Any, *, plain_only: bool) -> None:
        if not isinstance(option, dict):
            self.fail(where, "must be an option object")
            return
        self.text(f"{where}.text", option.get("text"), 75, plain_only=plain_only)
        value = option.get("value")
        if not isinstance(value, str) or not value:
            self.fail(f"{where}.value", "is required")
        self.length(f"{where}.value", value, 150)
        if option.get("description") is not None:
            self.text(f"{where}.description", option["description"], 75)

    def element(self, where: str, element: Any) -> None:
        if not isinstance(element, dict):
            self.fail(where, "must be an object")
            return
        kind = element.get("type")
        if kind not in ELEMENT_TYPES:
            self.fail(where, f"unknown element type {kind!r}")
            return
        self.length(f"{where}.action_id", element.get("action_id"), 255)
        if "placeholder" in element:
            self.text(f"{where}.placeholder", element["placeholder"], 150, plain_only=True)
        if kind == "button":
            self.text(f"{where}.text", element.get("text"), 75, plain_only=True)
            self.length(f"{where}.value", element.get("value"), 2000)
            self.length(f"{where}.url", element.get("url"), 3000)
            if element.get("style") not in (None, "primary", "danger"):
                self.fail(f"{where}.style", "must be primary or danger")
        elif kind in ("static_select", "multi_static_select"):
            options = element.get("options")
            groups = element.get("option_groups")
            if not options and not groups:
                self.fail(where, "needs options or option_groups")
            if options is not None and len(options) > 100:
                self.fail(f"{where}.options", f"at most 100 (has {len(options)})")
            if groups is not None and len(groups) > 100:
                self.fail(f"{where}.option_groups", f"at most 100 (has {len(groups)})")
            for i, option in enumerate(options or []):
                self.option(f"{where}.options[{i}]", option, plain_only=True)
            if "initial_option" in element:
                self.option(f"{where}.initial_option", element["initial_option"],
                            plain_only=True)
        elif kind == "external_select":
            if "initial_option" in element:
                self.option(f"{where}.initial_option", element["initial_option"],
                            plain_only=True)
        elif kind in ("checkboxes", "radio_buttons"):
            options = element.get("options") or []
            if not options or len(options) > 10:
                self.fail(f"{where}.options", f"needs 1 to 10 options (has {len(options)})")
            for i, option in enumerate(options):
                self.option(f"{where}.options[{i}]", option, plain_only=False)
        elif kind == "plain_text_input":
            low, high = element.get("min_length"), element.get("max_length")
            for name, value in (("min_length", low), ("max_length", high)):
                if value is not None and not (isinstance(value, int) and 0 <= value <= 3000):
                    self.fail(f"{where}.{name}", "must be between 0 and 3000")
            if isinstance(low, int) and isinstance(high, int) and low > high:
                self.fail(where, "min_length must not exceed max_length")
            self.length(f"{where}.initial_value", element.get("initial_value"), 3000)
        elif kind == "datepicker":
            initial = element.get("initial_date")
            if initial is not None and (not isinstance(initial, str) or len(initial) != 10):
                self.fail(f"{where}.initial_date", "must be YYYY-MM-DD")

    def block(self, where: str, block: Any, seen_ids: set[str]) -> None:
        if not isinstance(block, dict):
            self.fail(where, "must be an object")
            return
        kind = block.get("type")
        if kind not in BLOCK_TYPES:
            self.fail(where, f"unknown block type {kind!r}")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            self.length(f"{where}.block_id", block_id, 255)
            if block_id in seen_ids:
                self.fail(f"{where}.block_id", f"duplicate block_id {block_id!r}")
            seen_ids.add(block_id)
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.fail(where, "needs text or fields")
            if "text" in block:
                self.text(f"{where}.text", block["text"], 3000)
            fields = block.get("fields") or []
            if len(fields) > 10:
                self.fail(f"{where}.fields", f"at most 10 (has {len(fields)})")
            for i, f in enumerate(fields):
                self.text(f"{where}.fields[{i}]", f, 2000)
            if "accessory" in block:
                self.element(f"{where}.accessory", block["accessory"])
        elif kind == "header":
            self.text(f"{where}.text", block.get("text"), 150, plain_only=True)
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements or len(elements) > 10:
                self.fail(f"{where}.elements", f"needs 1 to 10 (has {len(elements)})")
            for i, e in enumerate(elements):
                if isinstance(e, dict) and e.get("type") in ("plain_text", "mrkdwn"):
                    self.text(f"{where}.elements[{i}]", e, 3000)
                else:
                    self.element(f"{where}.elements[{i}]", e)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements or len(elements) > 25:
                self.fail(f"{where}.elements", f"needs 1 to 25 (has {len(elements)})")
            for i, e in enumerate(elements):
                self.element(f"{where}.elements[{i}]", e)
        elif kind == "input":
            self.text(f"{where}.label", block.get("label"), 2000, plain_only=True)
            if "hint" in block:
                self.text(f"{where}.hint", block["hint"], 2000, plain_only=True)
            if "element" not in block:
                self.fail(where, "needs an element")
            else:
                self.element(f"{where}.element", block["element"])

    def blocks(self, blocks: Any, limit: int) -> None:
        if blocks is None:
            return
        if not isinstance(blocks, list):
            self.fail("blocks", "must be an array")
            return
        if len(blocks) > limit:
            self.fail("blocks", f"at most {limit} blocks (has {len(blocks)})")
        seen: set[str] = set()
        for i, block in enumerate(blocks):
            self.block(f"blocks[{i}]", block, seen)


def validate_message(payload: dict[str, Any]) -> list[str]:
    """Problems Slack would refuse a message for (plus our rule: a fallback ``text``)."""
    checker = _Checker()
    checker.blocks(payload.get("blocks"), 50)
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        checker.fail("text", "a fallback text is required (notifications and screen readers)")
    else:
        checker.length("text", text, 40000)
    return checker.problems


def validate_view(view: dict[str, Any]) -> list[str]:
    checker = _Checker()
    kind = view.get("type")
    if kind not in ("modal", "home"):
        checker.fail("type", "must be modal or home")
    checker.blocks(view.get("blocks"), 100)
    if kind == "modal":
        checker.text("title", view.get("title"), 24, plain_only=True)
        for name in ("submit", "close"):
            if name in view:
                checker.text(name, view[name], 24, plain_only=True)
        has_inputs = any(isinstance(b, dict) and b.get("type") == "input"
                         for b in view.get("blocks") or [])
        if has_inputs and "submit" not in view:
            checker.fail("submit", "a modal with input blocks needs a submit button")
    checker.length("private_metadata", view.get("private_metadata"), 3000)
    checker.length("callback_id", view.get("callback_id"), 255)
    checker.length("external_id", view.get("external_id"), 255)
    return checker.problems
