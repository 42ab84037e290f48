"""A local stand-in for Slack: its Web API (refusing what Slack refuses) and a driver that
sends the bot signed requests as Slack does. Used by the tests and by the demo."""
