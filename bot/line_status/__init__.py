"""/line-status: a line's or an order's state, read from MobProc."""
