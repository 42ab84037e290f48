"""The HTTP endpoint Slack posts to: Bolt's own aiohttp handler, with two changes.

- Form bodies are parsed by their keys. Bolt 1.x takes any form body that merely contains
  the word "payload" for an interaction (``/suspend-line … ask the payload team`` would be
  answered 404); here only a body with a ``payload`` field is one.
- Each request carries the moment it arrived (``context["received_at"]``, monotonic), so a
  listener can count Slack's 3 s from then, not from when it got to run.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

RECEIVED_AT = "received_at"


def parse_form(raw_body: str) -> dict[str, Any]:
    """A form body as Slack means it: an interaction's JSON ``payload`` field, or the fields
    themselves (a slash command)."""
    fields = dict(parse_qsl(raw_body, keep_blank_values=True))
    payload = fields.get("payload")
    if payload is None:
        return fields
    parsed = json.loads(payload)
    return parsed if isinstance(parsed, dict) else {}


class SlackRequest(AsyncBoltRequest):
    """``AsyncBoltRequest`` whose form bodies are read by their keys."""

    def __init__(self, *, body: str | dict[str, Any], query: Any = None, headers: Any = None,
                 context: dict[str, Any] | None = None, mode: str = "http") -> None:
        super().__init__(body=body, query=query, headers=headers, context=context, mode=mode)
        if not isinstance(body, str) or not body or body.startswith("{") or \
                self.content_type == "application/json" or "payload" not in body:
            return  # Bolt parsed it right
        parsed = parse_form(body)
        if parsed != self.body:
            self.body = parsed
            self.context = build_async_context(
                AsyncBoltContext(dict(context) if context else {}), self.body)

    def to_copyable(self) -> SlackRequest:
        return SlackRequest(body=self.raw_body if self.mode == "http" else self.body,
                            query=self.query, headers=self.headers,
                            context=self.context.to_copyable(), mode=self.mode)


def events_handler(app: AsyncApp) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        received_at = time.monotonic()
        bolt_request = SlackRequest(body=await request.text(), query=request.query_string,
                                    headers=dict(request.headers),
                                    context={RECEIVED_AT: received_at})
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    return handle


def received_at(context: dict[str, Any] | AsyncBoltContext) -> float:
    """When the request arrived; now, for one that came without the stamp (Socket Mode)."""
    stamp = context.get(RECEIVED_AT)
    return float(stamp) if isinstance(stamp, int | float) else time.monotonic()
