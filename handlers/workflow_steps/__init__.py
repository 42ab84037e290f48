"""Workflow Builder steps: a run taken once, and its completion."""
