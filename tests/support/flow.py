"""Steps of an order as a person does them in Slack, for the end-to-end tests."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx

from bot.demo import fill_form
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI, RecordedCall
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVAL_CHANNEL, APPROVER, HELPDESK, REQUESTER


def approval_post_since(slack: FakeSlackWebAPI, before: int) -> RecordedCall | None:
    """The first approval message Slack accepted after the ``before``-th chat.postMessage
    (a message in the approval channel, not a thread reply)."""
    return next((c for c in slack.calls_to("chat.postMessage")[before:]
                 if c.ok and c.args.get("channel") == APPROVAL_CHANNEL
                 and not c.args.get("thread_ts")), None)


async def open_form(driver: SlackDriver, slack: FakeSlackWebAPI, command: str, text: str, *,
                    user: str = REQUESTER, channel: str = HELPDESK) -> dict[str, Any]:
    """Run a slash command; return the modal once the bot has filled it in."""
    opened = len(slack.calls_to("views.open"))
    before = len(slack.calls_to("views.update"))
    answer = await driver.slash_command(user, command, text, channel_id=channel)
    assert answer.status_code == 200, answer.text
    assert answer.text == "", f"expected a bare ack, got {answer.text!r}"
    # The ack goes back before the listener opens the loading modal, so wait for it.
    await eventually(lambda: any(c.ok for c in slack.calls_to("views.open")[opened:]))
    update = await eventually(lambda: next(
        (c for c in slack.calls_to("views.update")[before:] if c.ok), None))
    return slack.views[update.response["view"]["id"]]


async def submit_form(driver: SlackDriver, slack: FakeSlackWebAPI, view: dict[str, Any],
                      values: dict[str, Any] | None = None, *, user: str = REQUESTER
                      ) -> tuple[str, str]:
    """Submit the modal; return (channel, ts) of the approval message it leads to."""
    before = len(slack.calls_to("chat.postMessage"))
    notices = len(slack.calls_to("chat.postEphemeral"))
    answer = await driver.submit_view(user, view, fill_form(view) if values is None else values)
    assert answer.status_code == 200
    assert answer.text.strip() in ("", "{}"), f"modal was not closed: {answer.text}"
    posted = await eventually(lambda: approval_post_since(slack, before))
    # The requester's link comes once the bot has recorded the message: then it is settled.
    await eventually(lambda: any(c.args.get("user") == user
                                 for c in slack.calls_to("chat.postEphemeral")[notices:]))
    return posted.response["channel"], posted.response["ts"]


async def approve(driver: SlackDriver, channel: str, ts: str, *, user: str = APPROVER,
                  value: str | None = None, check: bool = True) -> None:
    """Click Approve on the message (channel, ts). ``value``: the request's id, for a client
    still showing buttons the message lost; ``check``: the click must be answered 200 (off
    where the bot answering is itself in doubt: a process killed, a fault injected)."""
    answer = await driver.click_button(user, channel_id=channel, message_ts=ts,
                                       action_id="approve_request", value=value)
    if check:
        assert answer.status_code == 200


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in message.get("blocks", []) if b.get("type") == "actions"
            for e in b.get("elements", []) if e.get("type") == "button"]


def all_text(payload: dict[str, Any]) -> str:
    """Every string in a message or view, for asserting what a person can read."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str):
            found.append(node)

    walk(payload)
    return "\n".join(found)


def submitted_orders(simulator: Any) -> list[dict[str, Any]]:
    return [p for p in simulator.state.order_posts if not p.get("confirm")]


async def pending_order(driver: SlackDriver, slack: FakeSlackWebAPI, *,
                        command: str = "/suspend-line", text: str = "404-555-3104"
                        ) -> tuple[dict[str, Any], str, str]:
    """A request waiting for approval: the form view and the approval message's (channel, ts)."""
    view = await open_form(driver, slack, command, text)
    channel, ts = await submit_form(driver, slack, view)
    return view, channel, ts


async def approved_order(driver: SlackDriver, slack: FakeSlackWebAPI, clock: Any | None = None,
                         *, command: str = "/suspend-line", text: str = "404-555-3104",
                         approver: str = "UAPPROVER") -> tuple[dict[str, Any], str, str]:
    """An order placed through the whole flow; with ``clock``, also moved on one status.
    Returns the form view and the approval message's (channel, ts)."""
    view, channel, ts = await pending_order(driver, slack, command=command, text=text)
    await driver.click_button(approver, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 1)
    if clock is not None:
        clock.advance(10)
        await eventually(lambda: len(slack.thread_replies(channel, ts)) == 2)
    return view, channel, ts


async def held_request(driver: SlackDriver, slack: FakeSlackWebAPI, text: str,
                       retry_after: int = 30) -> str:
    """A request confirmed and pending whose approval message Slack holds back (429 for
    ``retry_after`` seconds): it has none recorded yet. Returns its id."""
    view = await open_form(driver, slack, "/suspend-line", text)
    slack.fail_next("chat.postMessage", retry_after=retry_after)
    answer = await driver.submit_view(REQUESTER, view, fill_form(view))
    assert answer.status_code == 200
    await eventually(lambda: slack.refused_for_rate("chat.postMessage") == 1)
    return str(view["private_metadata"])


async def click_all(drivers: Sequence[SlackDriver], users: Sequence[str], channel: str,
                    ts: str, action: str) -> list[httpx.Response]:
    """Each of ``users`` clicks ``action`` on the message (channel, ts) through each of
    ``drivers`` (a bot process each), all at once; the answers, in that order."""
    return list(await asyncio.gather(*(
        driver.click_button(user, channel_id=channel, message_ts=ts, action_id=action)
        for driver in drivers for user in users)))
