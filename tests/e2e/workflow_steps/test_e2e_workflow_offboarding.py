"""The "Offboard a person's lines" Workflow Builder step, end to end: the requester fills in
/offboard-lines' modals from a DM; the step completes once every line's order is placed (or
has ended), and fails with the reason on cancellation, expiry or a bad input."""

from __future__ import annotations

from typing import Any

import pytest

from bot.offboarding.models import OffboardingState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, REQUESTER, Clock
from tests.support.flow import submitted_orders
from tests.support.offboarding_flow import ALL_THREE, LEAVER, add_leaver, submit_and_wait
from tests.support.workflow_step_flow import (
    completion,
    failed_step,
    fill_in,
    start_step,
    step_dms,
)

HOUR = 3600.0


async def pending_bundle(bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
                         inputs: dict[str, Any]) -> tuple[str, str, str, str]:
    """(execution id, offboarding id, approval channel, ts) of a request waiting for
    approval, filled in from the step's message."""
    from bot.demo import fill_form

    add_leaver(slack)
    execution_id, dm = await start_step(driver, slack, "offboard_lines",
                                        {**inputs, "requester": REQUESTER})
    choose = await fill_in(driver, slack, dm)
    assert choose.get("callback_id") == "offboard_choose", choose
    _, details = await submit_and_wait(driver, slack, choose, ALL_THREE)
    assert details.get("callback_id") == "offboard_details", details
    before = len(slack.calls_to("chat.postMessage"))
    await driver.submit_view(REQUESTER, details, fill_form(details))
    posted = await eventually(lambda: next(
        (c for c in slack.calls_to("chat.postMessage")[before:]
         if c.ok and c.args.get("metadata") and not c.args.get("thread_ts")), None))
    channel, ts = posted.response["channel"], posted.response["ts"]
    run = await bot.ctx.steps.get(execution_id)
    assert run is not None and run.offboarding_id is not None
    offboarding_id = run.offboarding_id
    await eventually(lambda: _has_message(bot, offboarding_id))
    assert slack.function_executions[execution_id] == "running"
    return execution_id, offboarding_id, channel, ts


async def _has_message(bot: RunningBot, offboarding_id: str) -> bool:
    stored = await bot.ctx.offboarding.get(offboarding_id)
    return stored is not None and stored.approval_ts is not None


@pytest.mark.parametrize("inputs", [{"person": LEAVER}, {"person_email": "lena@acme.com"}])
async def test_the_step_completes_once_every_line_is_placed(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, inputs: dict[str, Any]) -> None:
    execution_id, offboarding_id, channel, ts = await pending_bundle(bot, driver, slack,
                                                                     inputs)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    done = await completion(slack, execution_id)
    assert done.method == "functions.completeSuccess"
    view = await bot.ctx.offboarding.view(offboarding_id)
    assert view is not None
    order_ids = sorted(o.order_id or "" for o in view.orders)
    assert len(order_ids) == 3 and all(order_ids)
    outputs = done.args["outputs"]
    assert outputs["request_id"] == offboarding_id
    assert sorted(outputs["order_ids"].split(", ")) == order_ids
    assert outputs["status"] == "3 of 3 line orders placed"
    assert len(submitted_orders(simulator)) == 3


async def test_a_cancelled_request_fails_the_step(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    execution_id, _, channel, ts = await pending_bundle(bot, driver, slack, {"person": LEAVER})
    await driver.click_button(REQUESTER, channel_id=channel, message_ts=ts,
                              action_id="cancel_offboarding")
    error = await failed_step(slack, execution_id)
    assert "cancelled" in error and "nothing was ordered" in error
    assert submitted_orders(simulator) == []


async def test_a_request_mobproc_refuses_a_line_of_still_completes_with_the_count(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    execution_id, _, channel, ts = await pending_bundle(bot, driver, slack, {"person": LEAVER})
    simulator.state.add_fault("POST", r"/orders$", status=400)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    done = await completion(slack, execution_id)
    assert done.method == "functions.completeSuccess"
    assert done.args["outputs"]["status"] == \
        "2 of 3 line orders placed, 1 refused by MobProc"


async def test_an_expired_request_fails_the_step(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    execution_id, offboarding_id, _, _ = await pending_bundle(bot, driver, slack,
                                                              {"person": LEAVER})
    clock.advance(73 * HOUR)
    error = await failed_step(slack, execution_id)
    assert "expired" in error
    stored = await bot.ctx.offboarding.get(offboarding_id)
    assert stored is not None and stored.state is OffboardingState.EXPIRED


async def test_a_redelivered_run_sends_one_message(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    execution_id, token = slack.start_function()
    for _ in range(3):
        await driver.run_step("offboard_lines", {"person": LEAVER, "requester": REQUESTER},
                              execution_id=execution_id, token=token)
    await eventually(lambda: step_dms(slack, execution_id))
    await bot.ctx.outbox.deliver()
    assert len(step_dms(slack, execution_id)) == 1


@pytest.mark.parametrize(("inputs", "reason"), [
    ({"requester": REQUESTER}, "names nobody"),
    ({"person_email": "not an address", "requester": REQUESTER}, "not an e-mail address"),
    ({"person": LEAVER}, "no requester"),
])
async def test_a_bad_input_fails_the_step_at_once(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        inputs: dict[str, Any], reason: str) -> None:
    execution_id, _ = await driver.run_step("offboard_lines", inputs)
    error = await failed_step(slack, execution_id)
    assert reason in error, error
    assert step_dms(slack, execution_id) == []
