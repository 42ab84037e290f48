"""Bolt ``AsyncApp`` wiring: the Slack client, the app (its listeners given by the edge), and
the aiohttp server."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.context import BotContext
from bot.ops.metrics import CONTENT_TYPE, BotMetrics
from bot.settings import Settings
from bot.slack.ack_runner import wait_on_acks
from bot.slack.endpoint import PARSED_FORM, events_handler, form_fields
from bot.slack.kept_ack import keep_acks
from bot.slack.metering import SlackCallMeter

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
FORM = "application/x-www-form-urlencoded"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"


def create_slack_session(settings: Settings) -> aiohttp.ClientSession:
    """One HTTP session for every Slack Web API call (Bolt's per-request clients share it):
    without it slack-sdk opens, and against real Slack handshakes, a connection per call.
    With a session given, slack-sdk times its requests by the session's timeout."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=settings.SLACK_TIMEOUT_SECONDS))


def create_slack_client(settings: Settings, metrics: BotMetrics | None = None,
                        session: aiohttp.ClientSession | None = None, *,
                        retries: bool = True) -> AsyncWebClient:
    """The Slack client. ``retries=False`` (the outbox's): no retry of its own, so one call
    is one request. A retried post after a lost answer or a 5xx would post twice unseen,
    and a retry after a 429 pause would leave after the outbox's claim on it lapsed; the
    outbox retries itself, fenced, looking for what may have gone out first."""
    token = settings.SLACK_BOT_TOKEN.get_secret_value() if settings.SLACK_BOT_TOKEN else None
    # The meter goes first: it sees every attempt, then leaves the decision to the others.
    meter: list[AsyncRetryHandler] = [SlackCallMeter(metrics)] if metrics is not None else []
    retrying: list[AsyncRetryHandler] = [
        AsyncConnectionErrorRetryHandler(max_retry_count=2),
        AsyncRateLimitErrorRetryHandler(max_retry_count=3),
        AsyncServerErrorRetryHandler(max_retry_count=2),
    ] if retries else []
    return AsyncWebClient(
        token=token,
        base_url=settings.SLACK_API_URL,
        session=session,
        timeout=math.ceil(settings.SLACK_TIMEOUT_SECONDS),  # only without a session
        retry_handlers=[*meter, *retrying],
    )


class _SameTokenNotice(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment itself and warns that it is unused
    because a client is given; the client holds that very token, so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


# Adds every listener to the app: given by the edge (handlers.app), which the core never imports.
Register = Callable[[AsyncApp, BotContext], None]
# What makes an interaction payload malformed (None: nothing), read by the edge's guards.
PayloadProblem = Callable[[dict[str, Any]], str | None]


def create_app(ctx: BotContext, client: AsyncWebClient, register: Register) -> AsyncApp:
    settings = ctx.settings
    secret = settings.SLACK_SIGNING_SECRET
    bolt_logger = logging.getLogger("slack_bolt")
    notice = _SameTokenNotice()
    bolt_logger.addFilter(notice)
    try:
        app = AsyncApp(
            client=client,
            signing_secret=secret.get_secret_value() if secret else "",
            # Socket Mode traffic is authenticated by the app token, not signatures.
            request_verification_enabled=not settings.socket_mode,
            logger=bolt_logger,
        )
    finally:
        bolt_logger.removeFilter(notice)
    wait_on_acks(app)
    app.use(keep_acks)
    register(app, ctx)
    return app


def payload_guard(signing_secret: str, problem: PayloadProblem) -> Any:
    """An aiohttp middleware refusing signed but malformed interaction payloads with 400."""
    verifier = SignatureVerifier(signing_secret)

    @web.middleware
    async def guard(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method != "POST" or request.path != SLACK_EVENTS_PATH:
            return await handler(request)
        body = await request.read()  # aiohttp caches it for Bolt's own read
        payload = [value for name, value in form_fields(body.decode("utf-8", "replace"))
                   if name == "payload"]
        if not payload:
            return await handler(request)
        try:
            data = json.loads(payload[0])
        except json.JSONDecodeError:
            data = None
        issue = problem(data) if isinstance(data, dict) else "the payload is not JSON"
        if issue is None:
            if len(payload) == 1 and request.content_type == FORM:
                request[PARSED_FORM] = data  # parsed once: the endpoint reads it from here
            return await handler(request)
        if not verifier.is_valid_request(body, dict(request.headers)):
            return web.Response(status=401)
        log.warning("Refused a malformed interaction payload: %s", issue)
        return web.Response(status=400, text=f"Malformed payload: {issue}.")

    return guard


def create_web_app(app: AsyncApp, engine: AsyncEngine, port: int, signing_secret: str, *,
                   problem: PayloadProblem, socket_mode: bool = False,
                   metrics: BotMetrics | None = None) -> web.Application:
    if socket_mode:
        # Slack's traffic comes over the socket; an HTTP endpoint without signature checks
        # would let anyone in, so there is none: only the health check.
        web_app = web.Application()
    else:
        web_app = web.Application(middlewares=[payload_guard(signing_secret, problem)])
        web_app.router.add_post(SLACK_EVENTS_PATH, events_handler(app))

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # report, don't crash the probe
            log.warning("Health check: database unavailable: %s", type(exc).__name__)
            return web.json_response({"ok": False, "database": "unavailable"}, status=503)
        return web.json_response({"ok": True})

    web_app.router.add_get(HEALTH_PATH, healthz)
    if metrics is not None:
        async def scrape(_request: web.Request) -> web.Response:
            return web.Response(body=await metrics.scrape(engine),
                                headers={"Content-Type": CONTENT_TYPE})

        web_app.router.add_get(METRICS_PATH, scrape)
    return web_app
