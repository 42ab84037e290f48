"""Work a flow does not need is not done: counted, not timed (bench/ measures speed)."""

from __future__ import annotations

from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from tests.support.flow import approved_order


async def test_slack_calls_reuse_connections(driver: SlackDriver,
                                             slack: FakeSlackWebAPI) -> None:
    await approved_order(driver, slack)
    calls = len(slack.calls)
    assert calls >= 8  # users.info, views.open, views.update, chat.postMessage, …
    # One shared HTTP session: a handful of kept-alive connections, not one per call.
    assert len(slack.connections) <= 3, (len(slack.connections), calls)
