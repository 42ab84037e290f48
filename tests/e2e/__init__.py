"""End-to-end tests by feature: the bot's real HTTP server, signed requests, the local Slack Web
API and the MobProc simulator."""
