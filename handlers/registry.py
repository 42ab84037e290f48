"""Everything the app listens to, as the manifest must declare it."""

from __future__ import annotations

from bot.slack.scopes import BOT_SCOPES
from bot.workflow_steps.steps import STEP_IDS
from handlers.helpdesk.shortcuts import CREATE_LINE_ORDER
from handlers.line_status.listeners import LINE_STATUS_COMMAND
from handlers.offboarding.listeners import OFFBOARD_COMMAND
from handlers.orders.commands import ORDER_COMMANDS

COMMANDS = [*ORDER_COMMANDS, LINE_STATUS_COMMAND, OFFBOARD_COMMAND]
MESSAGE_SHORTCUTS = [CREATE_LINE_ORDER]
# Manifest bot events, and the Bolt event types they deliver.
BOT_EVENTS = {"message.channels": "message", "message.groups": "message",
              "app_mention": "app_mention", "app_home_opened": "app_home_opened",
              "function_executed": "function_executed"}
# Workflow Builder steps (the manifest's ``functions``, by callback id).
WORKFLOW_STEPS = list(STEP_IDS)

__all__ = ["BOT_EVENTS", "BOT_SCOPES", "COMMANDS", "MESSAGE_SHORTCUTS", "WORKFLOW_STEPS"]
