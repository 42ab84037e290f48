"""Secrets never reach the logs, not even inside tracebacks."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

from bot.ops.log_context import bind, log_context
from bot.ops.logs import RedactSecrets, log_handler


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


def capture_json(secrets: list[str]) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    logger = logging.getLogger(f"test-json-logs-{id(stream)}")
    logger.handlers[:] = [log_handler(secrets, "json", stream)]
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    return logger, stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_time_level_logger_and_message() -> None:
    logger, stream = capture_json([])
    logger.warning("order %s placed", "9000001")
    [entry] = lines(stream)
    assert entry["message"] == "order 9000001 placed"
    assert entry["level"] == "WARNING" and entry["logger"] == logger.name
    assert str(entry["time"]).startswith(str(datetime.now(UTC).year))
    assert not {"request_id", "order_id", "slack_user", "slack_channel"} & set(entry)


def test_json_lines_name_the_request_order_user_and_channel_where_known() -> None:
    logger, stream = capture_json([])
    with log_context(slack_user="U1", slack_channel="C1"):
        logger.info("clicked")
        bind(request_id="r-1", order_id="9000001")
        logger.info("placed")
    logger.info("outside")
    clicked, placed, outside = lines(stream)
    assert (clicked["slack_user"], clicked["slack_channel"]) == ("U1", "C1")
    assert "request_id" not in clicked
    assert (placed["request_id"], placed["order_id"], placed["slack_user"]) == \
        ("r-1", "9000001", "U1")
    assert not {"request_id", "order_id", "slack_user", "slack_channel"} & set(outside)


def test_json_lines_redact_secrets_in_messages_and_tracebacks() -> None:
    logger, stream = capture_json(["hunter2-password", 'quote"secret'])
    logger.info("password=%s token=%s", "hunter2-password", "xoxb-123-abc")
    try:
        raise ValueError('bad hunter2-password and quote"secret and Bearer abc.def')
    except ValueError:
        logger.exception("failed")
    out = stream.getvalue()
    for secret in ("hunter2-password", "quote", "xoxb-123-abc", "abc.def"):
        assert secret not in out
    first, failed = lines(stream)
    assert first["message"] == "password=*** token=***"
    assert "ValueError: bad *** and *** and ***" in str(failed["exc_info"])


def test_text_lines_add_the_context_where_known() -> None:
    stream = io.StringIO()
    logger = logging.getLogger(f"test-text-logs-{id(stream)}")
    logger.handlers[:] = [log_handler([], "text", stream)]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.info("plain")
    with log_context(request_id="r-2", slack_user="U2"):
        logger.info("about a request")
    plain, about = stream.getvalue().splitlines()
    assert plain.endswith(f"INFO {logger.name}: plain")
    assert about.endswith("about a request [request_id=r-2 slack_user=U2]")
