"""A Workflow Builder step run as Slack and its requester play it, for the end-to-end tests."""

from __future__ import annotations

from typing import Any

from bot.demo import fill_form
from bot.runtime import RunningBot
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI, RecordedCall
from bot.slack_standin.polling import eventually
from tests.conftest import REQUESTER
from tests.support.flow import approval_post_since, buttons

FILL_IN = "workflow_step_fill_in"


def step_dms(slack: FakeSlackWebAPI, execution_id: str) -> list[RecordedCall]:
    """The messages (sent) whose button fills in this run's order."""
    return [c for c in slack.calls_to("chat.postMessage") if c.ok and any(
        b.get("value") == execution_id for b in buttons(c.args))]


async def start_step(driver: SlackDriver, slack: FakeSlackWebAPI, step: str,
                     inputs: dict[str, Any]) -> tuple[str, RecordedCall]:
    """A workflow reaches ``step``: its execution id and the requester's message."""
    execution_id, answer = await driver.run_step(step, inputs)
    assert answer.status_code == 200, answer.text
    dm = await eventually(lambda: next(iter(step_dms(slack, execution_id)), None))
    return execution_id, dm


async def fill_in(driver: SlackDriver, slack: FakeSlackWebAPI, dm: RecordedCall, *,
                  user: str = REQUESTER) -> dict[str, Any]:
    """Click "Fill in the order" in the message; the modal once the bot has filled it in."""
    before = len(slack.calls_to("views.update"))
    answer = await driver.click_button(user, channel_id=dm.response["channel"],
                                       message_ts=dm.response["ts"], action_id=FILL_IN)
    assert answer.status_code == 200
    update = await eventually(lambda: next(
        (c for c in slack.calls_to("views.update")[before:] if c.ok), None))
    return slack.views[update.response["view"]["id"]]


async def completion(slack: FakeSlackWebAPI, execution_id: str) -> RecordedCall:
    """The run's one completion, once Slack has it; any second attempt fails the test."""
    await eventually(lambda: slack.function_executions[execution_id] != "running" or None)
    calls = slack.completions(execution_id)
    assert len(calls) == 1, [(c.method, c.error) for c in calls]
    assert calls[0].ok
    return calls[0]


async def failed_step(slack: FakeSlackWebAPI, execution_id: str) -> str:
    """The run's one completion, once Slack has it, which must be an error: its words."""
    done = await completion(slack, execution_id)
    assert done.method == "functions.completeError"
    return str(done.args["error"])


async def send_for_approval(bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
                            view: dict[str, Any]) -> tuple[str, str]:
    """Submit the order form; (channel, ts) of its approval message once it is recorded
    (the requester's link then goes to them as a direct message: the form was opened from
    one)."""
    before = len(slack.calls_to("chat.postMessage"))
    answer = await driver.submit_view(REQUESTER, view, fill_form(view))
    assert answer.status_code == 200
    assert answer.text.strip() in ("", "{}"), f"modal was not closed: {answer.text}"
    posted = await eventually(lambda: approval_post_since(slack, before))
    channel, ts = posted.response["channel"], posted.response["ts"]
    await eventually(lambda: bot.ctx.repo.get_by_message(channel, ts))
    return channel, ts
