"""Socket Mode (SLACK_APP_TOKEN set): the same flow over Slack's WebSocket protocol."""

from __future__ import annotations

import time
from typing import Any

import httpx

from bot.demo import fill_form
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import view_state
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from handlers.app import start_bot
from tests.conftest import APPROVAL_CHANNEL, APPROVER, REQUESTER, Clock, bot_settings
from tests.support.flow import submitted_orders


def user(user_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_id.lower(), "team_id": "T0TEST"}


async def test_a_whole_order_over_socket_mode(simulator: RunningSimulator,
                                              slack: FakeSlackWebAPI, database_url: str,
                                              clock: Clock) -> None:
    settings = bot_settings(simulator, slack, database_url,
                            SLACK_APP_TOKEN=slack.app_token, SLACK_SIGNING_SECRET=None)
    bot = await start_bot(settings, host="127.0.0.1", clock=clock)
    try:
        await eventually(lambda: slack.socket_connected)
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{bot.url}/healthz")).status_code == 200
            # No unsigned HTTP door next to the socket.
            assert (await http.post(bot.events_url, content=b"x")).status_code == 404

        ack = await slack.socket_send("slash_commands", {
            "command": "/suspend-line", "text": "404-555-3104", "user_id": REQUESTER,
            "channel_id": "CHELPDESK", "team_id": "T0TEST", "api_app_id": "AFAKE",
            "trigger_id": slack.issue_trigger_id(), "response_url": "https://x.test/r"})
        assert ack["envelope_id"]
        update = await eventually(lambda: next((c for c in slack.calls_to("views.update")
                                                if c.ok), None))
        view = slack.views[update.response["view"]["id"]]
        submitted = {**view, "state": {"values": view_state(view, fill_form(view))}}
        await slack.socket_send("interactive", {
            "type": "view_submission", "user": user(REQUESTER), "team": {"id": "T0TEST"},
            "api_app_id": "AFAKE", "trigger_id": slack.issue_trigger_id(), "view": submitted})
        posted = await eventually(lambda: next(
            (c for c in slack.calls_to("chat.postMessage")
             if c.ok and c.args.get("channel") == APPROVAL_CHANNEL), None))
        ts = posted.response["ts"]
        await eventually(lambda: bot.ctx.repo.get_by_message(APPROVAL_CHANNEL, ts))
        message = slack.messages[(APPROVAL_CHANNEL, ts)]
        button = next(e for b in message["blocks"] if b["type"] == "actions"
                      for e in b["elements"] if e["action_id"] == "approve_request")
        await slack.socket_send("interactive", {
            "type": "block_actions", "user": user(APPROVER), "team": {"id": "T0TEST"},
            "api_app_id": "AFAKE", "trigger_id": slack.issue_trigger_id(),
            "container": {"type": "message", "message_ts": ts,
                          "channel_id": APPROVAL_CHANNEL},
            "channel": {"id": APPROVAL_CHANNEL}, "message": message,
            "actions": [{"type": "button", "action_id": "approve_request",
                         "block_id": "decision", "value": button["value"],
                         "action_ts": f"{time.time():.6f}"}]})
        await eventually(lambda: slack.thread_replies(APPROVAL_CHANNEL, ts))
        assert len(submitted_orders(simulator)) == 1
    finally:
        await bot.stop()
