"""Logging set-up: text or JSON lines, each naming the request it is about, with secrets
kept out of every line."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

from bot.ops.log_context import FIELDS, AddLogContext

# Tokens that may show up in library debug output even when we never log them ourselves.
_TOKEN_PATTERNS = re.compile(
    r"(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|Bearer\s+[A-Za-z0-9._~+/=-]+)"
)


_FORMATTER = logging.Formatter()


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when set: give them the redacted traceback.
            record.exc_text = self.redact(_FORMATTER.formatException(record.exc_info))
        return True

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _TOKEN_PATTERNS.sub("***", text)


class TextLines(logging.Formatter):
    """``time LEVEL logger: message [request_id=… order_id=…]``, the context only where known."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        context = " ".join(f"{name}={getattr(record, name)}" for name in FIELDS
                           if getattr(record, name, None))
        return f"{line} [{context}]" if context else line


class JsonLines(JsonFormatter):
    """One JSON object per line: time, level, logger, message, and the request id, order id,
    Slack user and channel where known. Every string in it is redacted (python-json-logger
    formats tracebacks itself, past the filter's redacted copy)."""

    def __init__(self, redactor: RedactSecrets) -> None:
        super().__init__("{levelname}{name}{message}", style="{", timestamp="time",
                         rename_fields={"levelname": "level", "name": "logger"})
        self._redactor = redactor

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: self._redact(value) for key, value in log_data.items()}

    def _redact(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._redactor.redact(value)
        if isinstance(value, list):
            return [self._redact(v) for v in value]
        return value


def log_handler(secrets: Iterable[str] = (), log_format: str = "text",
                stream: IO[str] | None = None) -> logging.Handler:
    """The handler the bot logs through: context added, secrets redacted, text or JSON."""
    handler = logging.StreamHandler(stream or sys.stderr)
    redactor = RedactSecrets(secrets)
    handler.addFilter(AddLogContext())
    handler.addFilter(redactor)
    handler.setFormatter(JsonLines(redactor) if log_format == "json" else TextLines())
    return handler


def configure_logging(level: str, secrets: Iterable[str] = (),
                      log_format: str = "text") -> None:
    handler = log_handler(secrets, log_format)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    if level != "DEBUG":
        for noisy in ("aiohttp.access", "httpx", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
