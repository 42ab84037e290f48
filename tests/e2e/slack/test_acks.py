"""Acks: one given stands even if the listener fails next; work after it waits for it; the
runner is told of an ack rather than looking for it every 10 ms."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.listener.async_listener import AsyncCustomListener
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack.ack_runner import AckWaitingRunner, wait_on_acks
from bot.slack.endpoint import ANSWERED, answered
from bot.slack.kept_ack import KeptAck, keep_acks


def _app(*, kept: bool, waiting: bool = False) -> AsyncApp:
    async def authorize(**_: Any) -> AuthorizeResult:  # no auth.test: nothing leaves the test
        return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-test",
                               bot_user_id="UBOT", bot_id="B1")

    app = AsyncApp(signing_secret="secret", request_verification_enabled=False,
                   authorize=authorize)
    if waiting:
        wait_on_acks(app)
    if kept:
        app.use(keep_acks)

    @app.view("order_form")
    async def fails_after_acking(ack: AsyncAck) -> None:
        await ack()
        raise RuntimeError("the database went away after the answer")

    @app.view("slow_form")
    async def acks_late(ack: AsyncAck) -> None:
        await asyncio.sleep(0.3)  # as a submission waiting for MobProc's confirmation
        await ack(response_action="errors", errors={"reason": "checked late"})

    @app.view("broken_form")
    async def fails_before_acking(ack: AsyncAck) -> None:
        raise RuntimeError("the database went away before the answer")

    return app


def _submission(callback_id: str = "order_form") -> AsyncBoltRequest:
    payload: dict[str, Any] = {"type": "view_submission", "team": {"id": "T1"},
                               "user": {"id": "U1"}, "api_app_id": "A1",
                               "view": {"id": "V1", "type": "modal", "callback_id": callback_id,
                                        "state": {"values": {}}}}
    return AsyncBoltRequest(body=urlencode({"payload": json.dumps(payload)}),
                            headers={"content-type": ["application/x-www-form-urlencoded"]})


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


@pytest.mark.parametrize("waiting", [False, True])
async def test_a_failure_right_after_the_ack_still_answers_slack_200(waiting: bool) -> None:
    answer = await _app(kept=True, waiting=waiting).async_dispatch(_submission())
    assert answer.status == 200


async def test_a_late_ack_is_answered_without_bolts_look_every_10_ms(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Bolt's runner sleeps 10 ms at a time until the ack comes: about 30 wake-ups for a
    0.3 s answer. This runner is woken by the ack itself."""
    sleeps: list[float] = []
    real_sleep = asyncio.sleep

    async def counting_sleep(delay: float, *args: Any) -> Any:
        sleeps.append(delay)
        return await real_sleep(delay, *args)

    monkeypatch.setattr(asyncio, "sleep", counting_sleep)
    answer = await _app(kept=True, waiting=True).async_dispatch(_submission("slow_form"))
    assert answer.status == 200
    assert json.loads(answer.body) == {"response_action": "errors",
                                       "errors": {"reason": "checked late"}}
    assert sleeps == [0.3]  # the listener's own, none of the runner's

    sleeps.clear()
    answer = await _app(kept=True).async_dispatch(_submission("slow_form"))
    assert answer.status == 200
    assert sleeps.count(0.01) >= 10  # what it replaces


async def test_a_failure_before_any_ack_answers_500() -> None:
    answer = await _app(kept=True, waiting=True).async_dispatch(_submission("broken_form"))
    assert answer.status == 500


async def test_no_ack_within_the_listeners_time_answers_nothing(
        caplog: pytest.LogCaptureFixture) -> None:
    """As Bolt's runner: no response (so Bolt answers 404) and its "didn't call ack()"."""
    released = asyncio.Event()

    async def never_acks(**_: Any) -> None:
        await released.wait()

    app = _app(kept=True, waiting=True)
    runner = app.listener_runner
    assert isinstance(runner, AckWaitingRunner)
    listener = AsyncCustomListener(app_name="test", ack_function=never_acks,
                                   lazy_functions=[], matchers=[], middleware=[],
                                   ack_timeout=0.1)  # type: ignore[arg-type]
    request = _submission()
    request.context["ack"] = KeptAck()
    caplog.set_level("WARNING")
    answer = await asyncio.wait_for(
        runner.run(request, None, "never_acks", listener), 2)  # type: ignore[arg-type]
    released.set()
    assert answer is None
    assert "ack()" in caplog.text
