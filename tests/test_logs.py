"""Secrets never reach the logs, not even inside tracebacks."""

from __future__ import annotations

import io
import logging

from bot.logs import RedactSecrets


def capture(secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(secrets))
    logger = logging.getLogger(f"test-logs-{id(stream)}")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream


def test_configured_secrets_and_token_shapes_are_redacted() -> None:
    logger, stream = capture(["hunter2-password"])
    logger.info("password=%s token=%s header=%s", "hunter2-password", "xoxb-123-abc",
                "Bearer abc.def")
    logger.info("app token xapp-1-A0-zz in a plain message")
    out = stream.getvalue()
    for secret in ("hunter2-password", "xoxb-123-abc", "abc.def", "xapp-1-A0-zz"):
        assert secret not in out
    assert out.count("***") == 4


def test_tracebacks_are_redacted() -> None:
    logger, stream = capture(["s3cr3t-value"])
    try:
        raise ValueError("bad s3cr3t-value")
    except ValueError:
        logger.exception("failed")
    out = stream.getvalue()
    assert "ValueError" in out and "s3cr3t-value" not in out


def test_ordinary_lines_are_untouched() -> None:
    logger, stream = capture(["s3cr3t-value"])
    logger.info("order %s placed", "9000001")
    assert stream.getvalue().strip() == "order 9000001 placed"
