"""What makes an interaction payload malformed.

Slack never sends these; a crafted or truncated payload is refused with a 400 naming what
is missing, before Bolt (which would fail on it with a 500) sees it."""

from __future__ import annotations

from typing import Any


def problem(body: dict[str, Any]) -> str | None:
    kind = body.get("type")
    if kind in ("block_actions", "view_submission", "block_suggestion") and not (
            isinstance(body.get("user"), dict) and body["user"].get("id")):
        return "user.id is missing"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
            return "actions must be a non-empty list"
        if not actions[0].get("action_id"):
            return "actions[0].action_id is missing"
    if kind == "view_submission":
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("state"), dict):
            return "view.state is missing"
    return None
