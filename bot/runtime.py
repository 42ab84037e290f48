"""A running bot and how it stops; how a start is found.

The bot is put together at the edge (``handlers.app.start_bot``), where the listeners and
renderers are, so nothing under ``bot/`` imports ``handlers``. The entry point and the demo
find that start through the package's entry point ``mobproc_bot:start`` (pyproject.toml)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Protocol

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.context import BotContext
from bot.mobproc.client import MobProcClient, MobProcConfig
from bot.mobproc_approvals.watcher import ApprovalWatcher
from bot.ops.metrics import BotMetrics
from bot.orders.follower import StatusFollower
from bot.settings import Settings
from bot.simulator.server import RunningSimulator, SimulatorConfig
from bot.slack.ack_runner import LISTENER_CODE

log = logging.getLogger(__name__)


@dataclass
class RunningBot:
    settings: Settings
    app: AsyncApp
    ctx: BotContext
    client: AsyncWebClient
    metrics: BotMetrics
    follower: StatusFollower
    port: int
    simulator: RunningSimulator | None
    _engine: AsyncEngine
    _mobproc: MobProcClient
    _runner: web.AppRunner
    _socket_handler: Any = None
    approval_watcher: ApprovalWatcher | None = None
    _stopped: bool = field(default=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    async def stop(self) -> None:
        """Stop taking new requests, let work in progress finish within
        ``SHUTDOWN_GRACE_SECONDS``, send what the outbox holds, then close everything.
        Whatever the grace cuts short is stored and resumed by the next start."""
        if self._stopped:
            return
        self._stopped = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.SHUTDOWN_GRACE_SECONDS

        def left() -> float:
            return max(deadline - loop.time(), 0.0)

        if self._socket_handler is not None:
            await self._socket_handler.close_async()  # Socket Mode: no new envelopes
        # Stops listening at once, then answers the HTTP requests already received.
        await self._runner.cleanup()
        await _finish_listeners(left())
        await self.follower.stop(grace_seconds=left())
        if self.approval_watcher is not None:
            await self.approval_watcher.stop(grace_seconds=left())
        await _flush_outbox(self.ctx, left())
        await self.ctx.outbox.aclose(left())
        await _close_homes(self.ctx, left())
        if self.client.session is not None:
            await self.client.session.close()
        await self._mobproc.aclose()
        await self._engine.dispose()
        if self.simulator is not None:
            await self.simulator.stop()


def _bolt_listeners() -> list[asyncio.Task[Any]]:
    """Listener tasks still running: Bolt's own, and those the ack-waiting runner started."""
    current = asyncio.current_task()
    running = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if task is not current and not task.done() and code is not None and (
                code is LISTENER_CODE or "slack_bolt" in code.co_filename):
            running.append(task)
    return running


async def _finish_listeners(grace_seconds: float) -> None:
    """Let Bolt's listeners that are still working (they run on after their ack) finish
    before their database and HTTP clients close under them; past the grace they are
    cancelled, and what they had not done is resumed from the database on the next start."""
    running = _bolt_listeners()
    if not running:
        return
    _, late = await asyncio.wait(running, timeout=grace_seconds) if grace_seconds > 0 \
        else (set(), set(running))
    if late:
        log.warning("%d Slack listener(s) still running after the grace period; stopped",
                    len(late))
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)


async def _close_homes(ctx: BotContext, grace_seconds: float) -> None:
    """Publish the Homes already marked as changed; past the grace they are left as they
    are (each is rebuilt from the database the next time it is published)."""
    try:
        await asyncio.wait_for(ctx.homes.close(), max(grace_seconds, 0.001))
    except TimeoutError:
        log.warning("Home tabs not refreshed within the grace period")


async def _flush_outbox(ctx: BotContext, grace_seconds: float) -> None:
    """Send the queued Slack calls now rather than leave them for the next start."""
    if grace_seconds <= 0:
        return
    try:
        deadline = asyncio.get_running_loop().time() + grace_seconds
        sent = await asyncio.wait_for(ctx.outbox.drain(deadline=deadline), grace_seconds)
    except TimeoutError:
        log.warning("Outbox not flushed within the grace period; the next start sends the rest")
    except Exception:
        log.warning("Outbox flush failed; the next start sends the rest", exc_info=True)
    else:
        if sent:
            log.info("Sent %d queued Slack call(s) before stopping", sent)


def mobproc_config(settings: Settings, simulator: RunningSimulator | None) -> MobProcConfig:
    if simulator is not None:
        c = simulator.config
        return MobProcConfig(base_url=simulator.base_url, token_url=simulator.token_url,
                             client_id=c.client_id, client_secret=SecretStr(c.client_secret),
                             username=c.username, password=SecretStr(c.password),
                             tenant=c.tenant, scope=c.scope,
                             timeout_seconds=settings.MOBPROC_TIMEOUT_SECONDS,
                             max_rps=settings.MOBPROC_MAX_RPS,
                             max_concurrency=settings.MOBPROC_MAX_CONCURRENCY)
    assert settings.MOBPROC_BASE_URL and settings.MOBPROC_TOKEN_URL
    assert settings.MOBPROC_CLIENT_ID and settings.MOBPROC_CLIENT_SECRET
    assert settings.MOBPROC_USERNAME and settings.MOBPROC_PASSWORD and settings.MOBPROC_TENANT
    return MobProcConfig(base_url=settings.MOBPROC_BASE_URL,
                         token_url=settings.MOBPROC_TOKEN_URL,
                         client_id=settings.MOBPROC_CLIENT_ID,
                         client_secret=settings.MOBPROC_CLIENT_SECRET,
                         username=settings.MOBPROC_USERNAME,
                         password=settings.MOBPROC_PASSWORD, tenant=settings.MOBPROC_TENANT,
                         scope=settings.MOBPROC_SCOPE,
                         timeout_seconds=settings.MOBPROC_TIMEOUT_SECONDS,
                         max_rps=settings.MOBPROC_MAX_RPS,
                         max_concurrency=settings.MOBPROC_MAX_CONCURRENCY)


class StartBot(Protocol):
    async def __call__(self, settings: Settings, *, host: str = ...,
                       simulator_config: SimulatorConfig | None = ...,
                       clock: Callable[[], datetime] | None = ...) -> RunningBot: ...


def start_bot_at_the_edge() -> StartBot:
    """The start the package declares (``[project.entry-points.mobproc_bot] start``)."""
    (found,) = entry_points(group="mobproc_bot", name="start")
    start: StartBot = found.load()
    return start
