"""Line orders as Workflow Builder steps, end to end: Slack runs a step (function_executed),
the requester fills in the slash command's form from a DM, an approver decides, and the step
completes (or fails with the reason) once, through the outbox."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain import RequestState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, OTHER, REQUESTER, Clock
from tests.support.flow import submitted_orders
from tests.support.workflow_step_flow import (
    completion,
    failed_step,
    fill_in,
    send_for_approval,
    start_step,
    step_dms,
)

HOUR = 3600.0
# Each line step, on a seeded line that allows its order.
LINE_STEPS = [("suspend_line", "404-555-3104", "SUSPEND"),
              ("unsuspend_line", "415-555-0142", "UNSUSPEND"),
              ("deactivate_line", "212-555-0123", "DEACTIVATE"),
              ("transfer_line", "415-555-0199", "XFER_SERVICE_OUT")]


async def pending_step(bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
                       step: str, number: str) -> tuple[str, str, str]:
    """A step run whose order waits for approval: (execution id, approval channel, ts)."""
    execution_id, dm = await start_step(driver, slack, step, {
        "line_number": number, "requester": REQUESTER})
    view = await fill_in(driver, slack, dm)
    assert view.get("callback_id") == "order_form", view
    channel, ts = await send_for_approval(bot, driver, slack, view)
    assert slack.function_executions[execution_id] == "running"  # not before MobProc has it
    return execution_id, channel, ts


@pytest.mark.parametrize(("step", "number", "order_type"), LINE_STEPS)
async def test_a_step_completes_with_the_order_once_approved(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, step: str, number: str, order_type: str) -> None:
    execution_id, channel, ts = await pending_step(bot, driver, slack, step, number)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    done = await completion(slack, execution_id)
    assert done.method == "functions.completeSuccess"
    assert len(submitted_orders(simulator)) == 1
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.state is RequestState.SUBMITTED
    assert request.transaction_type.value == order_type
    assert request.workflow_execution_id == execution_id
    assert done.args["outputs"] == {"request_id": request.id, "order_id": request.order_id,
                                    "status": request.order_status}
    assert request.order_id


@pytest.mark.parametrize(("step", "number", "order_type"), LINE_STEPS)
async def test_a_cancelled_order_fails_the_step_with_the_reason(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, step: str, number: str, order_type: str) -> None:
    execution_id, channel, ts = await pending_step(bot, driver, slack, step, number)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="cancel_request")
    error = await failed_step(slack, execution_id)
    assert "cancelled" in error and "nothing was ordered" in error
    assert submitted_orders(simulator) == []


@pytest.mark.parametrize(("step", "number", "order_type"), LINE_STEPS)
async def test_a_mobproc_refusal_fails_the_step_with_mobprocs_message(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, step: str, number: str, order_type: str) -> None:
    execution_id, channel, ts = await pending_step(bot, driver, slack, step, number)
    simulator.state.add_fault("POST", r"/orders$", status=400)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    error = await failed_step(slack, execution_id)
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.state is RequestState.FAILED and request.error
    assert error.startswith("MobProc refused the order for ")
    assert request.error in error


@pytest.mark.parametrize(("step", "number", "order_type"), LINE_STEPS)
async def test_an_expired_order_fails_the_step(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock,
        simulator: RunningSimulator, step: str, number: str, order_type: str) -> None:
    execution_id, _, _ = await pending_step(bot, driver, slack, step, number)
    clock.advance(73 * HOUR)  # APPROVAL_TTL_HOURS is 72
    error = await failed_step(slack, execution_id)
    assert "expired" in error and "72 hours" in error
    assert submitted_orders(simulator) == []


async def test_a_redelivered_run_and_a_second_click_change_nothing(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    inputs = {"line_number": "404-555-3104", "requester": REQUESTER}
    execution_id, token = slack.start_function()
    for _ in range(3):  # Slack delivering the event again (a late answer, a retry)
        _, answer = await driver.run_step("suspend_line", inputs, execution_id=execution_id,
                                          token=token)
        assert answer.status_code == 200
    dm = await eventually(lambda: next(iter(step_dms(slack, execution_id)), None))
    first = await fill_in(driver, slack, dm)
    again = await fill_in(driver, slack, dm)  # the same draft, not a second request
    assert again["private_metadata"] == first["private_metadata"]
    await bot.ctx.outbox.deliver()
    assert len(step_dms(slack, execution_id)) == 1
    channel, ts = await send_for_approval(bot, driver, slack, first)
    after = await fill_in(driver, slack, dm)  # once sent: said so, nothing new
    assert after.get("callback_id") != "order_form"
    assert "already sent for approval" in str(after)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    await completion(slack, execution_id)
    linked = [r for r in await bot.ctx.repo.in_states(list(RequestState))
              if r.workflow_execution_id == execution_id]
    assert len(linked) == 1 and len(submitted_orders(simulator)) == 1


async def test_someone_else_cannot_fill_in_the_requesters_order(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    execution_id, dm = await start_step(driver, slack, "suspend_line", {
        "line_number": "404-555-3104", "requester": REQUESTER})
    opened = len(slack.calls_to("views.open"))
    await driver.click_button(OTHER, channel_id=dm.response["channel"],
                              message_ts=dm.response["ts"], action_id="workflow_step_fill_in")
    notice = await eventually(lambda: next(
        (c for c in slack.calls_to("chat.postEphemeral") if c.args.get("user") == OTHER), None))
    assert "isn't yours" in notice.args["text"]
    assert len(slack.calls_to("views.open")) == opened
    assert slack.function_executions[execution_id] == "running"


@pytest.mark.parametrize(("inputs", "reason"), [
    ({"line_number": "41-5", "requester": REQUESTER}, "number"),
    ({"line_number": "", "requester": REQUESTER}, "number"),
    ({"line_number": "303-555-0000", "requester": REQUESTER}, "MobProc has no line"),
    ({"line_number": "404-555-3104"}, "no requester"),
])
async def test_a_bad_input_fails_the_step_at_once_with_the_reason(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        inputs: dict[str, Any], reason: str) -> None:
    execution_id, answer = await driver.run_step("suspend_line", inputs)
    assert answer.status_code == 200
    error = await failed_step(slack, execution_id)
    assert reason in error, error
    assert step_dms(slack, execution_id) == []
    assert await bot.ctx.repo.in_states(list(RequestState)) == []
