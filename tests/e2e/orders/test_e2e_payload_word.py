"""A slash command whose text contains the word "payload" is a command like any other.

Bolt's own body parser takes any form body containing that word for an interaction and
answers 404; the bot's endpoint reads form bodies by their keys.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot.runtime import RunningBot
from bot.slack.endpoint import form_fields, parse_form
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from tests.conftest import REQUESTER
from tests.support.flow import all_text, open_form, submit_form


async def test_a_command_mentioning_payload_opens_the_form_and_goes_through(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    view = await open_form(driver, slack, "/suspend-line",
                           "404-555-3104 ask the payload team; payload=none")
    assert view["private_metadata"]
    assert "(404) 555-3104" in all_text(view)
    channel, ts = await submit_form(driver, slack, view)
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.requester_id == REQUESTER


def test_form_bodies_are_read_by_their_keys() -> None:
    assert parse_form("command=%2Fsuspend-line&text=the+payload+team") == {
        "command": "/suspend-line", "text": "the payload team"}
    assert parse_form("payload=%7B%22type%22%3A%22block_actions%22%7D") == {
        "type": "block_actions"}


@pytest.mark.parametrize("body", [
    "command=%2Fsuspend-line&text=415+555+0199+ask+the+payload+team&user_id=U1",
    "payload=%7B%22a%22%3A+%22100%25+sure%22%7D", "text=a+b%2Bc&x=&y", "a=1;b=2", "a=1&&b=2",
    "=x&a", "a=%ZZ&b=%e2%82%ac", "a=%C3%28", "x=%2526", "a=1#b&c=2", "a=x y", "a=%", "",
    "payload=1&payload=2"])
def test_form_fields_are_what_the_standard_library_reads(body: str) -> None:
    assert form_fields(body) == parse_qsl(body, keep_blank_values=True)


async def test_an_interaction_body_is_parsed_once(driver: SlackDriver, slack: FakeSlackWebAPI,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import slack_bolt.request.async_request as bolt_request

    import bot.slack.app as slack_app

    parses: list[str] = []
    real_form_fields, real_parse_body = slack_app.form_fields, bolt_request.parse_body

    def counting_form_fields(text: str) -> Any:
        parses.append("guard")
        return real_form_fields(text)

    def counting_parse_body(body: str, content_type: Any) -> Any:
        parses.append("bolt")
        return real_parse_body(body, content_type)

    monkeypatch.setattr(slack_app, "form_fields", counting_form_fields)
    monkeypatch.setattr(bolt_request, "parse_body", counting_parse_body)
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    parses.clear()
    # The view submission (a large URL-encoded payload) is read once, and still answered.
    await submit_form(driver, slack, view)
    assert parses == ["guard"]
