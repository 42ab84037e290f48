"""Slack listeners, one module per kind of interaction."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.context import BotContext
from handlers import (
    actions,
    commands,
    events,
    home,
    line_status,
    log_context,
    mobproc_approvals,
    offboarding,
    options,
    shortcuts,
    start_order,
    views,
    workflow_steps,
)


def register(app: AsyncApp, ctx: BotContext) -> None:
    log_context.register(app)  # first: every listener logs under it
    commands.register(app, ctx)
    views.register(app, ctx)
    options.register(app, ctx)
    actions.register(app, ctx)
    start_order.register(app, ctx)
    events.register(app, ctx)
    shortcuts.register(app, ctx)
    line_status.register(app, ctx)
    home.register(app, ctx)
    offboarding.register(app, ctx)
    mobproc_approvals.register(app, ctx)
    workflow_steps.register(app, ctx)
