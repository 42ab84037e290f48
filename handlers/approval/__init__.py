"""Approve and Cancel of both kinds of request, on the approval message and in the App Home
(``buttons``, what differs per kind in ``kinds``), that message rendered for the outbox,
and the news every request tells once decided (``news``)."""
