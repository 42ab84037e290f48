"""The answer to /line-status."""
