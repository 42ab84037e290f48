"""/line-status."""
