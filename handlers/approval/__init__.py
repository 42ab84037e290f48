"""Approve and Cancel on a request's approval message, that message rendered for the outbox,
and the news every request tells once decided (``news``)."""
