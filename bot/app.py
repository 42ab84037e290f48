"""Bolt ``AsyncApp`` wiring: the Slack client, listeners, and the aiohttp server."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

import handlers
from bot.context import BotContext
from bot.settings import Settings

log = logging.getLogger(__name__)

SLACK_EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"


def create_slack_client(settings: Settings) -> AsyncWebClient:
    token = settings.SLACK_BOT_TOKEN.get_secret_value() if settings.SLACK_BOT_TOKEN else None
    return AsyncWebClient(
        token=token,
        base_url=settings.SLACK_API_URL,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            AsyncRateLimitErrorRetryHandler(max_retry_count=3),
            AsyncServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def create_app(ctx: BotContext, client: AsyncWebClient) -> AsyncApp:
    settings = ctx.settings
    secret = settings.SLACK_SIGNING_SECRET
    app = AsyncApp(
        client=client,
        signing_secret=secret.get_secret_value() if secret else "",
        # Socket Mode traffic is authenticated by the app token, not signatures.
        request_verification_enabled=not settings.socket_mode,
        logger=logging.getLogger("slack_bolt"),
    )
    handlers.register(app, ctx)
    return app


def create_web_app(app: AsyncApp, engine: AsyncEngine, port: int) -> web.Application:
    web_app = app.web_app(path=SLACK_EVENTS_PATH, port=port)

    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # report, don't crash the probe
            log.warning("Health check: database unavailable: %s", type(exc).__name__)
            return web.json_response({"ok": False, "database": "unavailable"}, status=503)
        return web.json_response({"ok": True})

    web_app.router.add_get(HEALTH_PATH, healthz)
    return web_app
