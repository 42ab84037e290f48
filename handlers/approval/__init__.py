"""Approve and Cancel on a request's approval message, and that message rendered for the outbox."""
