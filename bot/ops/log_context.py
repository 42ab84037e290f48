"""What a log line is about (request, order, Slack user and channel), carried in contextvars.

They are set at the edges (the Bolt middleware, the follower, the outbox) and copied into
every task started from there, so each line names the request it belongs to and one
request can be followed across replicas.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

FIELDS = ("request_id", "order_id", "slack_user", "slack_channel")
_VARS: dict[str, ContextVar[str | None]] = {
    name: ContextVar(f"mobproc_bot_{name}", default=None) for name in FIELDS
}


def bind(**values: str | None) -> None:
    """Name what the rest of the current task works on (unset values are left alone)."""
    for name, value in values.items():
        if value:
            _VARS[name].set(value)


def begin(**values: str | None) -> None:
    """Start naming a new unit of work in the current task: the fields given, and nothing
    else (what an earlier unit in this task named is cleared)."""
    for name, var in _VARS.items():
        var.set(values.get(name) or None)


@contextmanager
def log_context(**values: str | None) -> Iterator[None]:
    """Name what a block works on (``None`` clears a field); on leaving it, the context is
    as it was before, whatever ``bind`` set inside. Tasks started inside keep it."""
    tokens: list[tuple[ContextVar[str | None], Token[str | None]]] = [
        (var, var.set(values[name] or None if name in values else var.get()))
        for name, var in _VARS.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def current() -> dict[str, str]:
    return {name: value for name, var in _VARS.items() if (value := var.get())}


class AddLogContext(logging.Filter):
    """Copies the current context onto each record (as attributes the formatters read)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in current().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True
