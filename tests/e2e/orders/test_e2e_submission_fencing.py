"""A submission held back past its claim's lease is dropped, never sent late: with a second
replica taking the submission over meanwhile, MobProc still gets one order.

Every test runs two bots on one database (each with its own follower, limiter and MobProc
client, as two replicas have) and holds the clicked bot's POST back by one cause."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.domain import RequestState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, BotFactory, DriverFactory
from tests.support.flow import pending_order, submitted_orders
from tests.support.waiting import request_at

DROPPED = "not sent"


def dropped(caplog: pytest.LogCaptureFixture) -> bool:
    return any(DROPPED in r.getMessage() and r.name == "bot.orders.submission"
               for r in caplog.records)


async def _two_replicas(start_test_bot: BotFactory, driver_for: DriverFactory,
                        slack: FakeSlackWebAPI, **first_settings: object
                        ) -> tuple[RunningBot, RunningBot, str, str]:
    first = await start_test_bot(**first_settings)
    second = await start_test_bot()
    _, channel, ts = await pending_order(driver_for(first), slack)
    return first, second, channel, ts


async def test_a_429_pause_longer_than_the_lease_places_one_order(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    first, second, channel, ts = await _two_replicas(start_test_bot, driver_for, slack)
    lease = first.ctx.orders.submission.lease.total_seconds()
    # MobProc asks the clicked replica to wait longer than its claim lasts.
    simulator.state.add_fault("POST", r"/orders$", status=429,
                              retry_after=str(round(lease + 2)))
    await driver_for(first).click_button(APPROVER, channel_id=channel, message_ts=ts,
                                         action_id="approve_request")
    # The other replica takes the lapsed claim over, finds no order and places it.
    await eventually(lambda: request_at(second, channel, ts, RequestState.SUBMITTED),
                     within=lease * 4)
    # The clicked replica's retry, once MobProc's pause is over, finds its claim gone.
    await eventually(lambda: dropped(caplog), within=lease * 4)
    assert len(submitted_orders(simulator)) == 1


async def test_a_send_waiting_in_the_limiters_queue_past_the_lease_places_one_order(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    first, second, channel, ts = await _two_replicas(start_test_bot, driver_for, slack,
                                                     MOBPROC_MAX_CONCURRENCY=1)
    # Something else holds the clicked replica's only MobProc slot until the test lets go.
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold_the_slot() -> None:
        async with first.ctx.orders.mobproc.limiter.slot():
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold_the_slot())
    await holding.wait()
    try:
        await driver_for(first).click_button(APPROVER, channel_id=channel, message_ts=ts,
                                             action_id="approve_request")
        await eventually(lambda: request_at(second, channel, ts, RequestState.SUBMITTED), within=15)
    finally:
        release.set()
        await holder
    await eventually(lambda: dropped(caplog), within=15)
    assert len(submitted_orders(simulator)) == 1


async def test_a_submission_within_its_lease_is_sent_once_by_the_click(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, caplog: pytest.LogCaptureFixture) -> None:
    """The fence costs nothing on the ordinary path: the click places the order itself."""
    caplog.set_level(logging.INFO)
    first, _second, channel, ts = await _two_replicas(start_test_bot, driver_for, slack)
    await driver_for(first).click_button(APPROVER, channel_id=channel, message_ts=ts,
                                         action_id="approve_request")
    await eventually(lambda: request_at(first, channel, ts, RequestState.SUBMITTED))
    request = await first.ctx.repo.get_by_message(channel, ts)
    assert request is not None
    audit = [e.event for e in await first.ctx.repo.audit_since(request.created_at)
             if e.request_id == request.id]
    assert audit.count("submitting") == 1 and audit.count("submitted") == 1
    assert len(submitted_orders(simulator)) == 1 and not dropped(caplog)
