"""How the follower finds changes: one incremental query per interval, or, where the tenant
refuses that filter, order by order spread over the interval. Measured at the simulator."""

from __future__ import annotations

import itertools
import re

from bot.mobproc import assumed
from bot.simulator.server import RunningSimulator
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import BotFactory, Clock, DriverFactory
from tests.support.flow import approved_order

ORDER_READ = re.compile(r"/orders/\d+$")
LINES = [("/suspend-line", "404-555-3104"), ("/suspend-line", "415-555-0199"),
         ("/unsuspend-line", "415-555-0142"), ("/suspend-line", "212-555-0123")]


async def test_changes_are_found_with_one_query_not_a_read_per_order(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, clock: Clock) -> None:
    bot = await start_test_bot(STATUS_POLL_SECONDS=0.2)
    driver = driver_for(bot)
    threads = [(await approved_order(driver, slack, command=c, text=n))[1:] for c, n in LINES[:3]]
    start = len(simulator.state.received)
    clock.advance(10)
    await eventually(lambda: all(len(slack.thread_replies(c, t)) == 2 for c, t in threads))
    calls = simulator.state.received[start:]
    assert not [r for r in calls if ORDER_READ.search(r.path) or r.path.endswith("/history")]
    queries = [r for r in calls if r.path.endswith("/orders")]
    assert queries and all(assumed.UPDATED_SINCE_FILTER in r.query and
                           "includeOrderHistory=true" in r.query for r in queries)
    assert bot.follower.incremental


async def test_a_tenant_refusing_the_filter_is_read_order_by_order_spread_over_the_interval(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, clock: Clock) -> None:
    simulator.state.refuse_updated_filter = True
    bot = await start_test_bot(STATUS_POLL_SECONDS=2)
    driver = driver_for(bot)
    threads = [(await approved_order(driver, slack, command=c, text=n))[1:] for c, n in LINES]
    clock.advance(10)
    await eventually(lambda: all(len(slack.thread_replies(c, t)) == 2 for c, t in threads),
                     within=15)
    assert not bot.follower.incremental
    refused = [r for r in simulator.state.received if r.path.endswith("/orders")
               and assumed.UPDATED_SINCE_FILTER in r.query]
    assert refused, "the filter was tried first"
    # A whole round: every open order read once, the reads spread over the 2 s interval.
    start = len(simulator.state.received)
    await eventually(lambda: len({r.path for r in simulator.state.received[start:]
                                  if ORDER_READ.search(r.path)}) == len(LINES), within=15)
    reads = [r for r in simulator.state.received[start:] if ORDER_READ.search(r.path)]
    first_round = reads[:len(LINES)]
    assert len({r.path for r in first_round}) == len(LINES), "each order once per round"
    gaps = [b.at - a.at for a, b in itertools.pairwise(first_round)]
    assert min(gaps) >= 0.3, gaps  # 2 s / 4 orders = 0.5 s apart, not all at once
