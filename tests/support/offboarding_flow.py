"""Steps of /offboard-lines as a help-desk agent and an approver do them in Slack."""

from __future__ import annotations

import json
from typing import Any

from bot.demo import fill_form
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI, FakeUser
from bot.slack_standin.polling import eventually
from tests.conftest import HELPDESK, REQUESTER
from tests.support.flow import approval_post_since

LEAVER = "ULEAVER"  # Lena Leaver: three lines in the simulator
LENA_LINES = {"41000101": "3125550101", "41000102": "3125550102", "41000103": "3125550103"}


def add_leaver(slack: FakeSlackWebAPI) -> None:
    slack.users[LEAVER] = FakeUser(LEAVER, "lena", "Lena Leaver", "lena@acme.com")


async def open_offboarding(driver: SlackDriver, slack: FakeSlackWebAPI, text: str, *,
                           user: str = REQUESTER) -> dict[str, Any]:
    """Run /offboard-lines; return the modal once the bot has filled it in."""
    before = len(slack.calls_to("views.update"))
    answer = await driver.slash_command(user, "/offboard-lines", text, channel_id=HELPDESK)
    assert answer.status_code == 200, answer.text
    assert answer.text == "", f"expected a bare ack, got {answer.text!r}"
    update = await eventually(lambda: next(
        (c for c in slack.calls_to("views.update")[before:] if c.ok), None))
    return slack.views[update.response["view"]["id"]]


def ack_view(answer: Any) -> dict[str, Any]:
    """The view a view_submission's answer shows (response_action update), or {}."""
    text = answer.text.strip()
    return json.loads(text) if text else {}


async def submit_and_wait(driver: SlackDriver, slack: FakeSlackWebAPI, view: dict[str, Any],
                          values: dict[str, Any], *, user: str = REQUESTER
                          ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Submit a modal that answers "update … please wait"; return (the answer, the view the
    bot then puts in the modal)."""
    before = len(slack.calls_to("views.update"))
    answer = await driver.submit_view(user, view, values)
    assert answer.status_code == 200, answer.text
    await eventually(lambda: next(
        (c for c in slack.calls_to("views.update")[before:]
         if c.ok and c.args.get("view_id") == view["id"]), None))
    return ack_view(answer), slack.views[view["id"]]


def choices_of(view: dict[str, Any]) -> dict[str, list[str]]:
    return {b["block_id"]: [o["value"] for o in b["element"]["options"]]
            for b in view["blocks"] if b.get("type") == "input"}


def input_ids(view: dict[str, Any]) -> list[str]:
    return [b["block_id"] for b in view["blocks"] if b.get("type") == "input"]


async def details_for(driver: SlackDriver, slack: FakeSlackWebAPI,
                      choices: dict[str, str]) -> dict[str, Any]:
    """Lena's lines with ``choices`` (service id → order type): the details modal."""
    add_leaver(slack)
    view = await open_offboarding(driver, slack, f"<@{LEAVER}|lena>")
    _, details = await submit_and_wait(driver, slack, view, choices)
    assert details.get("callback_id") == "offboard_details", details
    return details


async def send_for_approval(driver: SlackDriver, slack: FakeSlackWebAPI,
                            details: dict[str, Any], values: dict[str, Any] | None = None
                            ) -> tuple[str, str]:
    """Submit the details; return the approval message's (channel, ts)."""
    before = len(slack.calls_to("chat.postMessage"))
    answer = await driver.submit_view(REQUESTER, details,
                                      fill_form(details) if values is None else values)
    assert answer.status_code == 200
    posted = await eventually(lambda: approval_post_since(slack, before))
    channel, ts = posted.response["channel"], posted.response["ts"]
    await eventually(lambda: any(c.ok and c.args.get("user") == REQUESTER and
                                 "waiting for an approver" in c.args.get("text", "")
                                 for c in slack.calls_to("chat.postEphemeral")))
    return channel, ts


ALL_THREE = {"41000101": "XFER_SERVICE_OUT", "41000102": "DEACTIVATE", "41000103": "SUSPEND"}


def approval_messages(slack: FakeSlackWebAPI, offboarding_id: str) -> list[dict[str, Any]]:
    """The request's approval messages as Slack holds them, found by their metadata (which
    names the request), thread replies excluded: exactly one is the promise."""
    return [m for m in slack.messages.values() if not m.get("thread_ts") and
            ((m.get("metadata") or {}).get("event_payload") or {}).get("request_id")
            == offboarding_id]


async def pending_offboarding(driver: SlackDriver, slack: FakeSlackWebAPI
                              ) -> tuple[str, str, str]:
    """Lena's three lines (ALL_THREE) waiting for approval: (request id, channel, ts)."""
    details = await details_for(driver, slack, ALL_THREE)
    channel, ts = await send_for_approval(driver, slack, details)
    return details["private_metadata"], channel, ts


async def held_offboarding(driver: SlackDriver, slack: FakeSlackWebAPI,
                           choices: dict[str, str], retry_after: int = 30) -> str:
    """Lena's lines with ``choices`` confirmed and pending, their approval message held back
    by Slack (429 for ``retry_after`` seconds): none is recorded yet. Returns the request's
    id (as ``flow.held_request`` does for a single request)."""
    details = await details_for(driver, slack, choices)
    slack.fail_next("chat.postMessage", retry_after=retry_after)
    answer = await driver.submit_view(REQUESTER, details, fill_form(details))
    assert answer.status_code == 200
    await eventually(lambda: slack.refused_for_rate("chat.postMessage") == 1)
    return str(details["private_metadata"])
