"""The per-process MobProc limiter, measured where MobProc would see it: at the simulator."""

from __future__ import annotations

import asyncio
from collections import Counter

from bot.mobproc import assumed
from bot.mobproc.client import MobProcClient, retry_after_seconds
from bot.mobproc.limiter import background
from bot.simulator.server import RunningSimulator
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, BotFactory, DriverFactory
from tests.support.home import open_home
from tests.support.mobproc import config_for

SUSPENDED_LINE = "4155550142"


def api_calls(simulator: RunningSimulator, since: int = 0) -> list[float]:
    return [r.at for r in simulator.state.received[since:] if r.path.startswith("/mobproc/")]


async def test_calls_never_start_faster_than_max_rps(simulator: RunningSimulator) -> None:
    client = MobProcClient(config_for(simulator, max_rps=5, max_concurrency=8))
    try:
        await client.find_service(SUSPENDED_LINE)  # the token is fetched first
        start = len(simulator.state.received)
        await asyncio.gather(*(client.find_service(SUSPENDED_LINE) for _ in range(15)))
    finally:
        await client.aclose()
    times = api_calls(simulator, start)
    assert len(times) == 15
    # Any second holds at most 5 starts (arrivals jitter by a few milliseconds on a busy
    # machine, so the window is a little shorter; a limiter letting 6 a second through
    # would put 6 in it).
    for first in times:
        assert len([t for t in times if first <= t < first + 0.95]) <= 5
    assert times[-1] - times[0] >= 14 / 5 - 0.1


async def test_no_more_than_max_concurrency_in_flight(simulator: RunningSimulator) -> None:
    client = MobProcClient(config_for(simulator, max_rps=1000, max_concurrency=3))
    simulator.state.add_fault("GET", r"/assets/services$", delay=0.2, times=12)
    try:
        await asyncio.gather(*(client.find_service(SUSPENDED_LINE) for _ in range(12)))
    finally:
        await client.aclose()
    assert simulator.state.peak_in_flight == 3


async def test_a_persons_call_goes_before_waiting_background_reads(
        simulator: RunningSimulator) -> None:
    client = MobProcClient(config_for(simulator, max_rps=1000, max_concurrency=1))
    await client.find_service(SUSPENDED_LINE)
    simulator.state.add_fault("GET", r"/assets/services$", delay=0.3, times=1)
    start = len(simulator.state.received)
    try:
        slow = asyncio.create_task(client.find_service(SUSPENDED_LINE))  # holds the one slot
        await eventually(lambda: simulator.state.in_flight == 1)
        with background():
            reads = [asyncio.create_task(client.get_service("38382336")) for _ in range(5)]
        await eventually(lambda: client.limiter.waiting == 5)
        person = asyncio.create_task(client.find_service(SUSPENDED_LINE))
        await asyncio.gather(slow, person, *reads)
    finally:
        await client.aclose()
    order = [r.path.rsplit("/", 1)[-1] for r in simulator.state.received[start:]]
    assert order == ["services", "services"] + ["38382336"] * 5


async def test_retry_after_pauses_every_call_then_retries(simulator: RunningSimulator) -> None:
    client = MobProcClient(config_for(simulator, max_rps=1000))
    await client.find_service(SUSPENDED_LINE)
    simulator.state.add_fault("GET", r"/assets/services$", status=429, retry_after="1")
    start = len(simulator.state.received)
    try:
        found, other = await asyncio.gather(client.find_service(SUSPENDED_LINE),
                                            _after(0.1, client.get_service("38382336")))
    finally:
        await client.aclose()
    assert found is not None and other.id == "38382336"
    received = simulator.state.received[start:]
    refused_at = received[0].at
    later = Counter(r.path for r in received[1:])
    assert later == Counter({"/mobproc/v1/assets/services": 1,
                             "/mobproc/v1/assets/services/38382336": 1})
    # Nothing, not even the other call, reached MobProc before Retry-After had passed.
    assert all(r.at - refused_at >= 0.95 for r in received[1:])


async def _after(seconds: float, call: object) -> object:
    await asyncio.sleep(seconds)  # let the first call be refused first
    return await call  # type: ignore[misc]


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds(None) == 1.0
    assert retry_after_seconds("soon") == 1.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


async def test_the_approval_watchers_lookups_wait_behind_a_persons_call(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    """The MobProc approvals watcher's rounds run at background priority, as the follower's
    do: its lookup waiting for a slot goes after a person's call that came later."""
    # One call at a time, and the watcher asking MobProc what waits for Avery every 50 ms.
    bot = await start_test_bot(MOBPROC_MAX_CONCURRENCY=1, MOBPROC_APPROVALS_POLL_SECONDS=0.05)
    await open_home(driver_for(bot), slack, APPROVER)  # Avery is known: the watcher asks
    await eventually(lambda: len(simulator.state.approval_lookups) >= 2)
    mobproc = bot.ctx.orders.mobproc
    simulator.state.add_fault("GET", r"/assets/services$", delay=0.3, times=1)
    start = len(simulator.state.received)
    slow = asyncio.create_task(mobproc.find_service(SUSPENDED_LINE))  # holds the one slot

    def slow_in_flight() -> int | None:
        """Where the slow call is among what MobProc received, once it holds the slot (a
        lookup of the watcher's may have gone just before it)."""
        received = simulator.state.received
        found = [i for i in range(start, len(received))
                 if received[i].path.endswith("/services")]
        return found[0] + 1 if found and simulator.state.in_flight == 1 else None

    after_slow = await eventually(slow_in_flight)
    await eventually(lambda: mobproc.limiter.waiting == 1)  # the watcher's next lookup
    person = asyncio.create_task(mobproc.find_service(SUSPENDED_LINE))
    await asyncio.gather(slow, person)
    # The one slot freed, the person's later call went first.
    assert simulator.state.received[after_slow].path.endswith("/services")
    await eventually(lambda: any(assumed.ELIGIBLE_APPROVER_FILTER in r.query
                                 for r in simulator.state.received[after_slow + 1:]))
