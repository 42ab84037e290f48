"""Counts and times every MobProc HTTP call (token fetches too) in the httpx client, so the
MobProc client's own code stays as it is."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.ops.metrics import BotMetrics

# Path words of MobProc's API; any other segment is an id and becomes ``{id}``, so the
# endpoint label stays a short, fixed list.
_WORDS = {"assets", "services", "orders", "properties", "acknowledgements", "history"}


def endpoint_of(method: str, url: str, base_url: str, token_url: str) -> str:
    if url.split("?", 1)[0] == token_url.split("?", 1)[0]:
        return f"{method} token"
    base = urlsplit(base_url).path.rstrip("/")
    path = urlsplit(url).path.removeprefix(base)
    parts = [p if p in _WORDS else "{id}" for p in path.split("/") if p]
    return f"{method} /{'/'.join(parts)}"


def outcome_of(status: int) -> str:
    if status < 400:
        return "ok"
    return {401: "unauthorized", 404: "not_found", 429: "rate_limited"}.get(
        status, "server_error" if status >= 500 else "refused")


class MeteredHttpClient(httpx.AsyncClient):
    """An httpx client that counts and times each request it sends (``send`` is where all of
    httpx's request methods meet; proxies and transports stay httpx's own)."""

    def __init__(self, metrics: BotMetrics, *, base_url: str, token_url: str,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._metrics = metrics
        self._mobproc_base_url = base_url
        self._token_url = token_url

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        endpoint = endpoint_of(request.method, str(request.url), self._mobproc_base_url,
                               self._token_url)
        started = time.perf_counter()
        try:
            response = await super().send(request, **kwargs)
        except httpx.TimeoutException:
            self._count(endpoint, "timeout", started)
            raise
        except httpx.TransportError:
            self._count(endpoint, "unreachable", started)
            raise
        self._count(endpoint, outcome_of(response.status_code), started)
        return response

    def _count(self, endpoint: str, outcome: str, started: float) -> None:
        m = self._metrics
        m.mobproc_seconds.labels(endpoint).observe(time.perf_counter() - started)
        m.mobproc_calls.labels(endpoint, outcome).inc()
        if outcome == "rate_limited":
            m.mobproc_rate_limited.labels(endpoint).inc()
        if endpoint.endswith(" token"):
            m.mobproc_token_renewals.labels(outcome).inc()
