"""Pure functions from domain objects to Block Kit payloads (no I/O)."""
