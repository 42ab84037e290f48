"""Replies in help-desk threads."""
