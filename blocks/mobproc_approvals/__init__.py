"""MobProc's own approvals: the DM, the reason modal, the notices."""
