"""JSON logs name the request each line is about, from the Slack click through MobProc and
the follower to the outbox, so one request can be followed (also across replicas)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.ops.logs import log_handler
from bot.runtime import RunningBot
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from tests.conftest import APPROVAL_CHANNEL, APPROVER, Clock
from tests.support.flow import approved_order
from tests.support.processes import bare_bot


@pytest.fixture
def json_logs(bot: RunningBot) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = log_handler(bot.settings.secret_values(), "json", stream)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


async def test_json_lines_follow_one_request_from_click_to_thread_reply(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock,
        json_logs: io.StringIO) -> None:
    _, channel, ts = await approved_order(driver, slack, clock)
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.order_id
    entries: list[dict[str, Any]] = [json.loads(line)
                                     for line in json_logs.getvalue().splitlines()]
    about = [e for e in entries if e.get("request_id") == request.id]

    # The click, logged by the core inside Bolt's listener: who, where, which request.
    approved = next(e for e in about if e["message"].startswith(f"Request {request.id} approved"))
    assert approved["logger"] == "bot.orders.service" and approved["level"] == "INFO"
    assert (approved["slack_user"], approved["slack_channel"]) == (APPROVER, APPROVAL_CHANNEL)
    # Placing the order names the MobProc order from then on.
    placed = next(e for e in about if "placed as MobProc order" in e["message"])
    assert placed["order_id"] == request.order_id
    # The follower's news of the order and the outbox's Slack calls carry the request too.
    assert any(e["logger"] == "bot.orders.follower" and request.order_id in e["message"]
               and e.get("order_id") == request.order_id and "slack_user" not in e
               for e in about)
    assert any(e["logger"].startswith("slack_sdk") and "chat.postMessage" in e["message"]
               and "slack_user" not in e for e in about)
    # Lines about nothing in particular name nothing.
    assert any("request_id" not in e for e in entries)


async def test_log_format_json_makes_the_bot_write_only_json_lines(tmp_path: Path) -> None:
    async with bare_bot(tmp_path, "/metrics", SLACK_BOT_TOKEN="xoxb-json-logs-test",
                        SLACK_SIGNING_SECRET="json-logs-secret",
                        SLACK_API_URL="http://127.0.0.1:9/api/", APPROVERS="UAPPROVER",
                        LOG_FORMAT="json") as served:
        pass  # serving is enough: the test reads what it printed meanwhile
    text = served.output
    assert "xoxb-json-logs-test" not in text and "json-logs-secret" not in text
    entries = [json.loads(line) for line in text.splitlines()]
    assert any("embedded MobProc simulator" in e["message"] for e in entries)
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= set(entry)
