"""An embedded MobProc simulator: the API.md shapes on loopback, with seeded data."""
