"""Slack listeners, one module per kind of interaction."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.context import BotContext
from handlers import actions, commands, options, views


def register(app: AsyncApp, ctx: BotContext) -> None:
    commands.register(app, ctx)
    views.register(app, ctx)
    options.register(app, ctx)
    actions.register(app, ctx)
