"""A help-desk thread as the employee and the agent play it: the bot's reply under the
employee's message and its Start buttons."""

from __future__ import annotations

from typing import Any

from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import HELPDESK
from tests.support.slack_reading import bot_replies

EMPLOYEE = "UOTHER"  # Olive, who lost her phone
AGENT = "URequester"  # Riley, on the help desk


def start_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every element of the message's actions blocks (the reply's Start buttons)."""
    return [e for b in message.get("blocks", []) if b.get("type") == "actions"
            for e in b["elements"]]


async def start_order_from_reply(driver: SlackDriver, slack: FakeSlackWebAPI, ts: str
                                 ) -> dict[str, Any]:
    """The agent presses the bot's reply's first Start button under the help-desk message
    ``ts``; returns the order form once the bot has filled it in."""
    reply = (await eventually(lambda: bot_replies(slack, HELPDESK, ts)))[0]
    views_before = len(slack.calls_to("views.update"))
    await driver.click_button(AGENT, channel_id=HELPDESK, message_ts=reply["ts"],
                              action_id=start_buttons(reply)[0]["action_id"])
    update = await eventually(lambda: next((c for c in slack.calls_to("views.update")
                                            [views_before:] if c.ok), None))
    return slack.views[update.response["view"]["id"]]
