"""Everything the app listens to, as the manifest must declare it."""

from __future__ import annotations

from bot.workflow_steps.steps import STEP_IDS
from handlers.commands import ORDER_COMMANDS
from handlers.line_status import LINE_STATUS_COMMAND
from handlers.offboarding import OFFBOARD_COMMAND
from handlers.shortcuts import CREATE_LINE_ORDER

COMMANDS = [*ORDER_COMMANDS, LINE_STATUS_COMMAND, OFFBOARD_COMMAND]
MESSAGE_SHORTCUTS = [CREATE_LINE_ORDER]
# Manifest bot events, and the Bolt event types they deliver.
BOT_EVENTS = {"message.channels": "message", "message.groups": "message",
              "app_mention": "app_mention", "app_home_opened": "app_home_opened",
              "function_executed": "function_executed"}
# Workflow Builder steps (the manifest's ``functions``, by callback id).
WORKFLOW_STEPS = list(STEP_IDS)
# Manifest bot scopes (``python -m bot check`` compares the token's with these).
BOT_SCOPES = ["commands", "chat:write", "chat:write.public", "im:write", "users:read",
              "users:read.email", "usergroups:read", "channels:history", "groups:history",
              "im:history", "app_mentions:read", "channels:read", "groups:read"]
