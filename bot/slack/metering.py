"""Counts Slack Web API calls, retries and 429s through slack-sdk's retry-handler hook.

Bolt makes a new ``AsyncWebClient`` for each request but copies the retry handlers, so a
handler that only watches (and never asks for a retry) sees every attempt of every call.
"""

from __future__ import annotations

from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.ops.metrics import BotMetrics


class SlackCallMeter(AsyncRetryHandler):
    """Put it first in the client's retry handlers: it records, then lets the others decide."""

    def __init__(self, metrics: BotMetrics) -> None:
        super().__init__(max_retry_count=0)
        self._metrics = metrics

    async def can_retry_async(self, *, state: RetryState, request: HttpRequest,
                              response: HttpResponse | None = None,
                              error: Exception | None = None) -> bool:
        method = request.url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        m = self._metrics
        m.slack_calls.labels(method, _outcome(response, error)).inc()
        if state.current_attempt > 0:
            m.slack_retries.labels(method).inc()
        if response is not None and response.status_code == 429:
            m.slack_rate_limited.labels(method).inc()
        return False


def _outcome(response: HttpResponse | None, error: Exception | None) -> str:
    if response is None:
        return type(error).__name__ if error is not None else "error"
    body = response.body if isinstance(response.body, dict) else {}
    if body.get("ok"):
        return "ok"
    return str(body.get("error") or f"http_{response.status_code}")
