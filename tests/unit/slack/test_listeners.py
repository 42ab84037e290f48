"""``with_ctx``: a module-level listener taking ``ctx`` first, bound for Bolt, gets the
context and Bolt's arguments injected by name, ``ack`` included."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.util.utils import get_arg_names_of_callable, is_callable_coroutine
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_standin.polling import eventually
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import BlockAction

seen: list[tuple[Any, ...]] = []


async def clicked(ctx: Any, ack: AsyncAck, body: dict[str, Any],
                  client: AsyncWebClient) -> None:
    """A listener as the feature modules write them."""
    await ack(text=f"ctx={ctx}")
    seen.append((ctx, BlockAction.from_body(body).value, isinstance(client, AsyncWebClient)))


async def authorize(**_: Any) -> AuthorizeResult:
    # Given, so Bolt asks no Slack API (auth.test) who the bot is.
    return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-test",
                           bot_user_id="UBOT", bot_id="BBOT")


def app() -> AsyncApp:
    return AsyncApp(signing_secret="secret", authorize=authorize,
                    request_verification_enabled=False)


async def test_bolt_injects_its_arguments_and_the_ack_answers() -> None:
    seen.clear()
    bolt = app()
    bolt.action("the_button")(with_ctx(clicked, "the-ctx"))  # type: ignore[arg-type]
    payload = {"type": "block_actions", "user": {"id": "U1"}, "team": {"id": "T1"},
               "api_app_id": "A1", "trigger_id": "t.1",
               "actions": [{"action_id": "the_button", "type": "button", "value": "v-1"}]}
    response = await bolt.async_dispatch(AsyncBoltRequest(
        body=urlencode({"payload": json.dumps(payload)}),
        headers={"content-type": ["application/x-www-form-urlencoded"]}))
    assert response.status == 200
    assert response.body == "ctx=the-ctx"  # what the listener acked with
    await eventually(lambda: seen)  # the listener goes on after its ack, in Bolt's task
    assert seen == [("the-ctx", "v-1", True)]


def test_the_bound_listener_keeps_its_name_and_hides_ctx() -> None:
    bound = with_ctx(clicked, "the-ctx")  # type: ignore[arg-type]
    assert bound.__name__ == "clicked"
    assert not hasattr(bound, "__wrapped__")  # Bolt unwraps: ctx would come back
    assert get_arg_names_of_callable(bound) == ["ack", "body", "client"]
    assert is_callable_coroutine(bound)


def test_a_listener_without_ctx_first_is_refused() -> None:
    async def no_ctx(ack: AsyncAck) -> None:
        await ack()

    with pytest.raises(TypeError, match="ctx as its first parameter"):
        with_ctx(no_ctx, "the-ctx")  # type: ignore[arg-type]
