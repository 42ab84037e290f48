"""The audit trail: every event of a flow, append-only, exported as CSV or JSON lines."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.ops.audit_export import export_audit
from bot.runtime import RunningBot
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, OTHER, REQUESTER, Clock
from tests.support.flow import pending_order


async def run_flow(bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
                   clock: Clock) -> str:
    view, channel, ts = await pending_order(driver, slack)
    await driver.click_button(OTHER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 1)
    clock.advance(10)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 2)
    return view["private_metadata"]


async def test_every_event_is_recorded_and_exported(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    request_id = await run_flow(bot, driver, slack, clock)
    out = io.StringIO()
    count = await export_audit(bot.settings, date(2026, 1, 1), "jsonl", out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(records) == count
    mine = [(r["event"], r["actor"]) for r in records if r["request_id"] == request_id]
    assert mine[:2] == [("requested", REQUESTER), ("confirmed", REQUESTER)]
    assert ("refused_click", OTHER) in mine and ("approved", APPROVER) in mine
    assert [e for e, _ in mine][-3:] == ["submitting", "submitted", "status_change"]
    refused = next(r for r in records if r["event"] == "refused_click")
    assert "approver" in refused["detail"]["reason"]

    csv_out = io.StringIO()
    await export_audit(bot.settings, date(2026, 1, 1), "csv", csv_out)
    rows = list(csv.DictReader(io.StringIO(csv_out.getvalue())))
    assert [r["event"] for r in rows] == [r["event"] for r in records]
    assert set(rows[0]) == {"id", "at", "request_id", "actor", "event", "detail"}

    later = io.StringIO()
    assert await export_audit(bot.settings, date(2999, 1, 1), "jsonl", later) == 0


async def test_the_audit_table_is_append_only(bot: RunningBot, driver: SlackDriver,
                                              slack: FakeSlackWebAPI, clock: Clock) -> None:
    await run_flow(bot, driver, slack, clock)
    engine = bot._engine
    for statement in ("UPDATE audit_events SET actor = 'someone else'",
                      "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as connection:
                await connection.execute(text(statement))
