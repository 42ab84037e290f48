"""What makes an interaction payload malformed, and what a click's message must say before
the bot takes it as a request's own.

Slack never sends malformed payloads; a crafted or truncated one is refused with a 400
naming what is missing, before Bolt (which would fail on it with a 500) sees it."""

from __future__ import annotations

from typing import Any

from bot.effects.outbox import APPROVAL_EVENTS


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


def message_names(message: Any, request_id: str) -> bool:
    """Whether a clicked message is the approval message of ``request_id``: its Slack message
    metadata (``bot.effects.outbox.approval_message_metadata``, set on every approval message the
    bot posts; ``LEGACY_APPROVAL_EVENT`` on one an earlier version posted) names that
    request. A request whose message was never recorded adopts a clicked one only then, so
    a button carrying another request's id (or any other message in the channel) can't
    bind a message to the wrong request. A reply in a thread is never an approval message
    (the news in it names its request too)."""
    if not isinstance(message, dict) or not request_id or \
            message.get("thread_ts") not in (None, message.get("ts")):
        return False
    metadata = message.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("event_type") not in APPROVAL_EVENTS:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, dict) and payload.get("request_id") == request_id
