"""Early, clear refusals: nothing reaches ``POST /orders`` and the person knows why."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from blocks.ids import FORM_ERROR_BLOCK
from bot.domain import RequestState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVAL_CHANNEL, REQUESTER
from tests.support.flow import all_text, open_form, submitted_orders


def _orders_posted(simulator: RunningSimulator) -> int:
    return len(simulator.state.order_posts)


@pytest.mark.parametrize(("text", "expected"), [
    ("", "usage"),
    ("   ", "usage"),
    ("my phone is gone", "couldn't find a phone number"),
])
async def test_missing_or_unreadable_number_is_answered_privately(
        text: str, expected: str, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    answer = await driver.slash_command(REQUESTER, "/suspend-line", text)
    assert answer.status_code == 200
    body = answer.json()
    assert expected in all_text(body).lower()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert not slack.calls_to("views.open")
    assert _orders_posted(simulator) == 0


@pytest.mark.parametrize(("command", "text", "expected"), [
    ("/suspend-line", "415-555-0000", "has no line"),
    ("/suspend-line", "(415) 555-0142", "can't be suspended"),
    ("/unsuspend-line", "646-555-0100", "can't be unsuspended"),
    ("/transfer-line", "404-555-3104", "can't be transferred"),
])
async def test_unknown_line_or_disallowed_order_shows_an_error_view(
        command: str, text: str, expected: str, bot: RunningBot, driver: SlackDriver,
        slack: FakeSlackWebAPI, simulator: RunningSimulator) -> None:
    view = await open_form(driver, slack, command, text)
    assert expected in all_text(view)
    assert "submit" not in view, "an error view must not offer to submit anything"
    assert not await bot.ctx.repo.in_states(list(RequestState))
    assert _orders_posted(simulator) == 0


async def test_mobproc_refusing_the_confirmation_keeps_the_input(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    # The simulator's 212-555-0123 is on a vendor that does not support transfers out.
    view = await open_form(driver, slack, "/transfer-line", "212-555-0123")
    from bot.demo import fill_form

    values = fill_form(view)
    values["ADDITIONAL_INSTRUCTIONS"] = "Keep this text"
    answer = await driver.submit_view(REQUESTER, view, values)
    body = answer.json()
    assert body["response_action"] == "update"
    shown = body["view"]
    error = next(b for b in shown["blocks"] if b.get("block_id") == FORM_ERROR_BLOCK)
    assert "transfer" in all_text(error).lower()
    kept = next(b for b in shown["blocks"] if b.get("block_id") == "ADDITIONAL_INSTRUCTIONS")
    assert kept["element"].get("initial_value") == "Keep this text"
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.state is RequestState.DRAFT
    assert not [c for c in slack.calls_to("chat.postMessage")
                if c.args.get("channel") == APPROVAL_CHANNEL]
    assert not submitted_orders(simulator)


async def test_invalid_input_is_shown_on_its_field(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    from bot.demo import fill_form

    values = fill_form(view)
    values["CONTACT_NUMBER"] = "call me"
    values["PREFERRED_SUSPENSION_DATE"] = "2001-01-01"
    answer = await driver.submit_view(REQUESTER, view, values)
    body = answer.json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"CONTACT_NUMBER", "PREFERRED_SUSPENSION_DATE"}
    assert _orders_posted(simulator) == 0
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.state is RequestState.DRAFT


def _command_body() -> bytes:
    return urlencode({"command": "/suspend-line", "text": "404-555-3104",
                      "user_id": REQUESTER, "channel_id": "CHELPDESK",
                      "trigger_id": "1.2.3", "team_id": "T0TEST"}).encode()


async def test_forged_signature_is_refused(driver: SlackDriver, slack: FakeSlackWebAPI
                                           ) -> None:
    body = _command_body()
    answer = await driver.post_form(body, secret="not-the-secret")
    assert answer.status_code == 401
    assert not slack.calls_to("views.open")


async def test_stale_timestamp_is_refused(driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    body = _command_body()
    answer = await driver.post_form(body, timestamp=int(time.time()) - 10 * 60)
    assert answer.status_code == 401
    assert not slack.calls_to("views.open")


async def test_a_correct_signature_is_accepted(driver: SlackDriver, slack: FakeSlackWebAPI
                                               ) -> None:
    # The counterpart of the two refusals: the same body, signed right, is handled.
    body = _command_body()
    answer = await driver.post_form(body)
    assert answer.status_code == 200
    await eventually(lambda: slack.calls_to("views.open"))


async def test_healthz(bot: RunningBot, driver: SlackDriver) -> None:
    import httpx

    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{bot.url}/healthz")
    assert answer.status_code == 200
    assert json.loads(answer.text)["ok"] is True
