"""Slack plumbing: the HTTP endpoint, the Bolt app's acks, the Slack clients and their metering,
the scopes."""
