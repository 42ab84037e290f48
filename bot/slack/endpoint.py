"""The HTTP endpoint Slack posts to: Bolt's own aiohttp handler, with two changes.

- Form bodies are parsed by their keys. Bolt 1.x takes any form body that merely contains
  the word "payload" for an interaction (``/suspend-line … ask the payload team`` would be
  answered 404); here only a body with a ``payload`` field is one.
- Each request carries the moment it arrived (``context["received_at"]``, monotonic), so a
  listener can count Slack's 3 s from then, not from when it got to run.
- Each request carries an event set once its answer is ready (``context["answered"]``), so
  a listener's work after its ack can wait for the answer to go out first (``answered``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from yarl import URL

RECEIVED_AT = "received_at"
ANSWERED = "answered"
# Bolt hands an ack back within its own 3 s; past that the answer is gone anyway.
ANSWER_WAIT_SECONDS = 3.5
# Where the endpoint's guard leaves a form body it has already parsed (aiohttp request key).
PARSED_FORM = web.RequestKey("slack_parsed_form", dict)


def form_fields(raw_body: str) -> list[tuple[str, str]]:
    """A form body's fields, as ``urllib.parse.parse_qsl(raw_body, keep_blank_values=True)``
    reads them, through yarl's compiled unquoting. An interaction's body is its whole view
    URL-encoded, nearly every character of its JSON escaped: a tenth of parse_qsl's CPU
    (``python -m bench.endpoint_costs``). yarl keeps the last 128 URLs it built, so up to
    that many recent bodies (and their fields) stay in memory."""
    return list(URL.build(query_string=raw_body, encoded=True).query.items())


def parse_form(raw_body: str) -> dict[str, Any]:
    """A form body as Slack means it: an interaction's JSON ``payload`` field, or the fields
    themselves (a slash command)."""
    fields = dict(form_fields(raw_body))
    payload = fields.get("payload")
    if payload is None:
        return fields
    parsed = json.loads(payload)
    return parsed if isinstance(parsed, dict) else {}


class SlackRequest(AsyncBoltRequest):
    """``AsyncBoltRequest`` whose form bodies are read by their keys, once.

    ``parsed``: the body as ``parse_form`` reads it, when the caller has already done so.
    """

    def __init__(self, *, body: str | dict[str, Any], query: Any = None, headers: Any = None,
                 context: dict[str, Any] | None = None, mode: str = "http",
                 parsed: dict[str, Any] | None = None) -> None:
        if mode == "http" and isinstance(body, str) and _is_form(headers) and (
                parsed is not None or "payload" in body):
            # Bolt would parse the body itself (and take the word "payload" anywhere in it
            # for an interaction); an interaction's body is large and URL-encoded, so it is
            # parsed once, here. Bolt takes a parsed body only in Socket Mode: build the
            # request so, then make it the HTTP request it is, raw body kept for the
            # signature check.
            super().__init__(body=parsed if parsed is not None else parse_form(body),
                             query=query, headers=headers, context=context,
                             mode="socket_mode")
            self.raw_body, self.mode = body, mode
            return
        super().__init__(body=body, query=query, headers=headers, context=context, mode=mode)

    def to_copyable(self) -> SlackRequest:
        return SlackRequest(body=self.raw_body if self.mode == "http" else self.body,
                            query=self.query, headers=self.headers,
                            context=self.context.to_copyable(), mode=self.mode)


def _is_form(headers: Any) -> bool:
    for name, value in (headers or {}).items():
        if name.lower() == "content-type":
            text = value if isinstance(value, str) else ",".join(value)
            return text.lower().startswith("application/x-www-form-urlencoded")
    return False


def events_handler(app: AsyncApp) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        received_at = time.monotonic()
        answered = asyncio.Event()
        bolt_request = SlackRequest(body=await request.text(), query=request.query_string,
                                    headers=dict(request.headers),
                                    context={RECEIVED_AT: received_at, ANSWERED: answered},
                                    parsed=request.get(PARSED_FORM))
        try:
            return await to_aiohttp_response(await app.async_dispatch(bolt_request))
        finally:
            answered.set()

    return handle


async def answered(context: dict[str, Any] | AsyncBoltContext) -> None:
    """Wait until the request's answer is ready to go (at once in Socket Mode, where acks
    travel on their own).

    For work after an ack: under a burst, each slash command's follow-up (opening its
    modal, calling Slack and MobProc) started before Bolt had even handed its ack back, and
    every such step delayed the acks of everyone behind. Acks first, follow-ups after.
    """
    event = context.get(ANSWERED)
    if isinstance(event, asyncio.Event):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), ANSWER_WAIT_SECONDS)


def received_at(context: dict[str, Any] | AsyncBoltContext) -> float:
    """When the request arrived; now, for one that came without the stamp (Socket Mode)."""
    stamp = context.get(RECEIVED_AT)
    return float(stamp) if isinstance(stamp, int | float) else time.monotonic()
