"""Acks: one given stands even if the listener fails next; work after it waits for it."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.kept_ack import keep_acks
from bot.slack_endpoint import ANSWERED, answered


def _app(*, kept: bool) -> AsyncApp:
    async def authorize(**_: Any) -> AuthorizeResult:  # no auth.test: nothing leaves the test
        return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-test",
                               bot_user_id="UBOT", bot_id="B1")

    app = AsyncApp(signing_secret="secret", request_verification_enabled=False,
                   authorize=authorize)
    if kept:
        app.use(keep_acks)

    @app.view("order_form")
    async def fails_after_acking(ack: AsyncAck) -> None:
        await ack()
        raise RuntimeError("the database went away after the answer")

    return app


def _submission() -> AsyncBoltRequest:
    payload: dict[str, Any] = {"type": "view_submission", "team": {"id": "T1"},
                               "user": {"id": "U1"}, "api_app_id": "A1",
                               "view": {"id": "V1", "type": "modal", "callback_id": "order_form",
                                        "state": {"values": {}}}}
    return AsyncBoltRequest(body=urlencode({"payload": json.dumps(payload)}),
                            headers={"content-type": ["application/x-www-form-urlencoded"]})


async def test_a_failure_right_after_the_ack_still_answers_slack_200() -> None:
    answer = await _app(kept=True).async_dispatch(_submission())
    assert answer.status == 200


async def test_without_it_bolt_drops_the_ack_and_answers_404() -> None:
    """Why it exists: Bolt alone loses the ack given just before a failure."""
    answer = await _app(kept=False).async_dispatch(_submission())
    assert answer.status == 404


async def test_work_after_an_ack_waits_for_the_answer_to_be_ready() -> None:
    event = asyncio.Event()
    waiting = asyncio.ensure_future(answered({ANSWERED: event}))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # the answer is not ready: the follow-up waits
    event.set()
    await asyncio.wait_for(waiting, 1)


async def test_without_an_endpoint_answer_to_wait_for_it_goes_on_at_once() -> None:
    await asyncio.wait_for(answered({}), 1)  # Socket Mode: acks travel on their own
