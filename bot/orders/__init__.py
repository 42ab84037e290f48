"""A line order (suspend, unsuspend, deactivate, transfer): its form from MobProc's definitions,
the request's moves, its submission under a fenced claim, and following its status."""
