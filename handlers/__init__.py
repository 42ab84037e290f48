"""Slack listeners, one folder per feature; ``handlers.app`` puts the app together."""
