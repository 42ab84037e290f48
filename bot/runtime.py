"""Starting and stopping the whole bot: simulator (if needed), database, Slack, follower."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from pydantic import SecretStr
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.ack_runner import LISTENER_CODE
from bot.app import create_app, create_slack_client, create_slack_session, create_web_app
from bot.approval_lookups import LONGEST_GAP_SECONDS, LookupSchedule
from bot.approval_posts import ApprovalPosts
from bot.approval_watcher import ApprovalWatcher
from bot.approvers import ApprovalPolicy, ApproverDirectory
from bot.coalesce import Coalescer
from bot.context import BotContext
from bot.domain import LineRequest
from bot.follower import Renderers, StatusFollower
from bot.helpdesk import HelpdeskService
from bot.metrics import BotMetrics
from bot.mobproc.client import MobProcClient, MobProcConfig
from bot.mobproc.definitions import OrderDefinitions
from bot.mobproc_approvals import MobProcApprovals
from bot.offboarding import OffboardingService
from bot.offboarding_posts import BundleApprovalPosts
from bot.orders import OrderService
from bot.outbox import OutboxSender
from bot.settings import Settings
from bot.simulator.server import RunningSimulator, SimulatorConfig, start_simulator
from bot.storage.database import create_engine, migrate
from bot.storage.follow_store import FollowStore
from bot.storage.home_visitors import HomeVisitors
from bot.storage.mobproc_approvals import MobProcApprovalStore
from bot.storage.offboardings import OffboardingRepository
from bot.storage.repository import RequestRepository
from bot.workflow_steps.store import StepRuns
from handlers.approval_post import approval_call
from handlers.approval_post import wire as wire_approval_posts
from handlers.helpdesk_reply import ticket_repair
from handlers.home_tab import people_of, publish_homes, refresh_homes
from handlers.mobproc_approvals import deliver_round
from handlers.mobproc_approvals import slack_side as mobproc_approvals_slack
from handlers.notify import (
    decision_messages,
    expiry_messages,
    reminder_messages,
    status_messages,
)
from handlers.offboarding import follower_round as offboarding_round
from handlers.offboarding_post import approval_call as bundle_approval_call
from handlers.offboarding_post import wire as wire_bundle_posts
from handlers.slack_io import Profiles, company_employee_id

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
        sent = await asyncio.wait_for(ctx.outbox.drain(), grace_seconds)
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


async def start_bot(settings: Settings, *, host: str = "0.0.0.0",
                    simulator_config: SimulatorConfig | None = None,
                    clock: Callable[[], datetime] | None = None) -> RunningBot:
    """``clock`` (tests): the time approvals expire and reminders fall due by."""
    clock_kw = {"clock": clock} if clock is not None else {}
    simulator: RunningSimulator | None = None
    if settings.use_simulator:
        config = simulator_config or SimulatorConfig(
            step_seconds=settings.SIMULATOR_STEP_SECONDS,
            latency_seconds=settings.SIMULATOR_LATENCY_SECONDS,
            approval_types=frozenset(settings.SIMULATOR_APPROVAL_TYPES))
        simulator = await start_simulator(config)
        log.info("MOBPROC_BASE_URL is unset: using the embedded MobProc simulator at %s",
                 simulator.base_url)
    engine = create_engine(settings.DATABASE_URL)
    await migrate(engine)
    metrics = BotMetrics()  # this bot's own registry
    mobproc = MobProcClient(mobproc_config(settings, simulator), metrics=metrics)
    repo = RequestRepository(engine)
    session = create_slack_session(settings)
    client = create_slack_client(settings, metrics, session)

    async def group_members(group_id: str) -> list[str]:
        answer = await client.usergroups_users_list(usergroup=group_id)
        return list(answer.get("users") or [])

    approvers = ApproverDirectory(settings.APPROVERS, group_members)
    if not approvers.configured:
        log.warning("APPROVERS is empty: nobody can approve line orders until it is set")
    orders = OrderService(mobproc, repo, approvers, region=settings.DEFAULT_REGION,
                          allow_self_approval=settings.ALLOW_SELF_APPROVAL,
                          approval_ttl_hours=settings.APPROVAL_TTL_HOURS,
                          reminder_hours=settings.REMINDER_HOURS, metrics=metrics,
                          policy=ApprovalPolicy(settings.APPROVALS_REQUIRED), **clock_kw)
    # The outbox's own client (same connections): its calls are retried by the outbox,
    # fenced and looked for first, never inside the client where nobody would know.
    outbox = OutboxSender(repo, create_slack_client(settings, metrics, session, retries=False),
                          slack_timeout_seconds=settings.SLACK_TIMEOUT_SECONDS,
                          metrics=metrics)
    helpdesk = HelpdeskService(orders, repo, region=settings.DEFAULT_REGION,
                               keywords=settings.order_keywords())
    homes = Coalescer(lambda users: publish_homes(ctx, client, users))
    approvals = ApprovalPosts(repo, outbox, lambda r: approval_call(ctx, r),
                              lease_seconds=outbox.lease_seconds)
    offboardings = OffboardingRepository(engine)
    bundle_posts = BundleApprovalPosts(offboardings, repo, outbox,
                                       lambda view: bundle_approval_call(ctx, view),
                                       lease_seconds=outbox.lease_seconds)
    offboarding = OffboardingService(orders, offboardings, bundle_posts, **clock_kw)
    profiles = Profiles(client)
    ctx = BotContext(settings=settings, orders=orders, repo=repo, outbox=outbox,
                     helpdesk=helpdesk, visitors=HomeVisitors(engine), homes=homes,
                     approvals=approvals, offboarding=offboarding,
                     profiles=profiles.profile_with_email, steps=StepRuns(engine))
    wire_approval_posts(ctx, client)
    wire_bundle_posts(ctx, client)
    app = create_app(ctx, client)
    render = Renderers(decision=lambda r: decision_messages(ctx, r),
                       status=lambda c: status_messages(ctx, c),
                       expiry=lambda r: expiry_messages(ctx, r),
                       reminder=lambda r: reminder_messages(ctx, r))
    ctx.mobproc_approvals = MobProcApprovals(
        mobproc, MobProcApprovalStore(engine), repo, ctx.visitors,
        _employee_ids(profiles, settings.EMPLOYEE_ID_FROM),
        outbox=outbox, slack=mobproc_approvals_slack(ctx, client),
        schedule=LookupSchedule(settings.MOBPROC_APPROVALS_POLL_SECONDS, LONGEST_GAP_SECONDS),
        definitions=OrderDefinitions(mobproc, region=settings.DEFAULT_REGION))
    watcher = ApprovalWatcher(ctx.mobproc_approvals, lambda found: deliver_round(ctx, client,
                                                                                found),
                              poll_seconds=settings.MOBPROC_APPROVALS_POLL_SECONDS)
    ctx.approval_watcher = watcher

    async def refresh_views(request: LineRequest) -> None:
        refresh_homes(ctx, people_of(request))

    repair_tickets = ticket_repair(ctx, client)

    async def repair() -> None:
        await approvals.repair()
        await repair_tickets()

    follower = StatusFollower(orders, mobproc, repo, outbox, render,
                              poll_seconds=settings.STATUS_POLL_SECONDS,
                              store=FollowStore(engine),
                              batch_size=settings.MOBPROC_MAX_CONCURRENCY,
                              on_changed=refresh_views, metrics=metrics,
                              repair=repair,
                              after_changes=lambda: offboarding_round(ctx, client))
    secret = settings.SLACK_SIGNING_SECRET.get_secret_value() if settings.SLACK_SIGNING_SECRET \
        else ""
    runner = web.AppRunner(create_web_app(app, engine, settings.PORT, secret,
                                          socket_mode=settings.socket_mode, metrics=metrics),
                           shutdown_timeout=settings.SHUTDOWN_GRACE_SECONDS)
    await runner.setup()
    site = web.TCPSite(runner, host, settings.PORT)
    await site.start()
    port = runner.addresses[0][1]
    socket_handler = None
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        assert settings.SLACK_APP_TOKEN is not None
        socket_handler = AsyncSocketModeHandler(app, settings.SLACK_APP_TOKEN.get_secret_value())
        await socket_handler.connect_async()
        log.info("Connected to Slack in Socket Mode; health check on port %s", port)
    else:
        log.info("Listening for Slack on port %s at /slack/events", port)
    follower.start()
    watcher.start()
    return RunningBot(settings=settings, app=app, ctx=ctx, client=client, metrics=metrics,
                      follower=follower,
                      port=port, simulator=simulator, _engine=engine, _mobproc=mobproc,
                      _runner=runner, _socket_handler=socket_handler,
                      approval_watcher=watcher)


def _employee_ids(profiles: Profiles, source: str) -> Callable[[str], Awaitable[str | None]]:
    """Slack user → company employee id (EMPLOYEE_ID_FROM), from the profiles the order
    forms read too."""

    async def employee_id_of(user_id: str) -> str | None:
        return company_employee_id(await profiles.profile(user_id), source)

    return employee_id_of
