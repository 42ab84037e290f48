"""How the bot causes effects on Slack and MobProc: each one held by a fenced claim."""
