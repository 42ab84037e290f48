"""MobProc's own approval queue in Slack: finding orders waiting for an approver, the DMs, and the
one answer."""
