"""An embedded MobProc simulator: the shapes of bot/mobproc/API.md on loopback, with seeded data."""
