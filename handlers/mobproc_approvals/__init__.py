"""MobProc's own approvals: the DMs, Approve, Reject and its reason modal."""
