"""The app put together, in one place: the core's services, the listeners of every feature
(``register_all``, an index of the feature modules) and the renderers the core queues with.
``python -m bot`` finds ``start_bot`` through the package's entry point, so the core imports
no listener."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot.approval.approvers import ApprovalPolicy, ApproverDirectory
from bot.approval.posts import request_approval_posts
from bot.context import BotContext
from bot.domain import LineRequest, RequestState
from bot.effects.outbox import OutboxSender
from bot.helpdesk.service import HelpdeskService
from bot.jobs.coalesce import Coalescer
from bot.mobproc.client import MobProcClient
from bot.mobproc.definitions import OrderDefinitions
from bot.mobproc_approvals.lookups import LONGEST_GAP_SECONDS, LookupSchedule
from bot.mobproc_approvals.service import MobProcApprovals
from bot.mobproc_approvals.watcher import ApprovalWatcher
from bot.offboarding.posts import bundle_approval_posts
from bot.offboarding.service import OffboardingService
from bot.ops.metrics import BotMetrics
from bot.orders.follower import Renderers, StatusFollower
from bot.orders.service import OrderService
from bot.runtime import RunningBot, mobproc_config
from bot.settings import Settings
from bot.simulator.server import RunningSimulator, SimulatorConfig, start_simulator
from bot.slack.app import create_app, create_slack_client, create_slack_session, create_web_app
from bot.storage.database import create_engine, migrate
from bot.storage.follow_store import FollowStore
from bot.storage.home_visitors import HomeVisitors
from bot.storage.mobproc_approvals import MobProcApprovalStore
from bot.storage.offboardings import OffboardingRepository
from bot.storage.requests import RequestRepository
from bot.workflow_steps.store import StepRuns
from handlers.approval import buttons as approval_buttons
from handlers.approval import news
from handlers.approval.post import approval_call
from handlers.approval.post import wire as wire_approval_posts
from handlers.helpdesk import events as helpdesk_events
from handlers.helpdesk import shortcuts as helpdesk_shortcuts
from handlers.helpdesk import start_order as helpdesk_start_order
from handlers.helpdesk.reply import ticket_repair
from handlers.home import listeners as home
from handlers.home.tab import people_of, publish_homes, refresh_homes, refresh_homes_showing
from handlers.line_status import listeners as line_status
from handlers.mobproc_approvals import listeners as mobproc_approvals
from handlers.mobproc_approvals.listeners import deliver_round
from handlers.mobproc_approvals.listeners import slack_side as mobproc_approvals_slack
from handlers.offboarding import listeners as offboarding
from handlers.offboarding.listeners import follower_round as offboarding_round
from handlers.offboarding.post import approval_call as bundle_approval_call
from handlers.offboarding.post import wire as wire_bundle_posts
from handlers.orders import commands as order_commands
from handlers.orders import options as order_options
from handlers.orders import views as order_views
from handlers.orders.news import decision_messages, status_messages
from handlers.slack import log_context
from handlers.slack.guards import problem
from handlers.slack.io import Profiles, company_employee_id
from handlers.workflow_steps import listeners as workflow_steps

log = logging.getLogger(__name__)


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
    approvals = request_approval_posts(repo, outbox, lambda r: approval_call(ctx, r),
                                       lease_seconds=outbox.lease_seconds)
    offboardings = OffboardingRepository(engine)
    bundle_posts = bundle_approval_posts(offboardings, repo, outbox,
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
    app = create_app(ctx, client, register_all)
    render = Renderers(decision=lambda r: decision_messages(ctx, r),
                       status=lambda c: status_messages(ctx, c),
                       expiry=lambda r: news.expiry_messages(news.of_request(ctx, r)),
                       reminder=lambda r: news.reminder_messages(news.of_request(ctx, r)))
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
        if request.state is RequestState.EXPIRED:  # it leaves every approver's waiting list
            await refresh_homes_showing(ctx, request)
        else:
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
    runner = web.AppRunner(create_web_app(app, engine, settings.PORT, secret, problem=problem,
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


def register_all(app: AsyncApp, ctx: BotContext) -> None:
    """Every feature's listeners: each module's ``register`` lists its own."""
    log_context.register(app)  # first: every listener logs under it
    order_commands.register(app, ctx)
    order_views.register(app, ctx)
    order_options.register(app, ctx)
    approval_buttons.register(app, ctx)
    helpdesk_start_order.register(app, ctx)
    helpdesk_events.register(app, ctx)
    helpdesk_shortcuts.register(app, ctx)
    line_status.register(app, ctx)
    home.register(app, ctx)
    offboarding.register(app, ctx)
    mobproc_approvals.register(app, ctx)
    workflow_steps.register(app, ctx)
