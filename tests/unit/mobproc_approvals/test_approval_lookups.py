"""Who the MobProc approvals watcher asks about, and how often: people MobProc has nothing
for are asked less and less often; people with something waiting, every round."""

from __future__ import annotations

from bot.mobproc_approvals.lookups import LookupSchedule
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, OTHER, BotFactory, DriverFactory
from tests.support.clocks import SecondsClock
from tests.support.home import open_home
from tests.support.mobproc_approvals import AVERY_EMAIL, approval_dms
from tests.support.mobproc_approvals import simulator as simulator

OLIVE_EMAIL = "olive@acme.com"


def test_nothing_waiting_doubles_the_gap_up_to_the_longest() -> None:
    clock = SecondsClock()
    schedule = LookupSchedule(interval=100, longest=500, clock=clock)
    assert schedule.due("U1")  # never asked
    gaps = []
    for _ in range(5):
        schedule.looked_up("U1", busy=False)
        asked_at = clock.now
        clock.now += 1
        while not schedule.due("U1"):
            clock.now += 1
        gaps.append(round(clock.now - asked_at, -1))
    # Rounds may start a tenth of an interval early.
    assert gaps == [190, 390, 490, 490, 490]


def test_something_waiting_is_asked_about_every_round_and_others_keep_their_own() -> None:
    clock = SecondsClock()
    schedule = LookupSchedule(interval=100, longest=500, clock=clock)
    schedule.looked_up("U1", busy=False)
    schedule.looked_up("U2", busy=False)
    schedule.looked_up("U1", busy=True)  # e.g. opened the Home and found an order waiting
    assert schedule.due("U1") and not schedule.due("U2")
    schedule.looked_up("U1", busy=False)  # the order was decided: back to the start
    clock.now += 150
    assert not schedule.due("U1")
    clock.now += 50
    assert schedule.due("U1") and schedule.due("U2")


async def test_rounds_skip_people_mobproc_has_nothing_for(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    bot: RunningBot = await start_test_bot()  # the watcher's own rounds are minutes apart
    driver = driver_for(bot)
    assert bot.approval_watcher is not None
    # Avery has an order waiting in MobProc; Olive has nothing. Both open their Home, which
    # asks MobProc about each of them at once.
    await open_home(driver, slack, APPROVER)
    await eventually(lambda: approval_dms(slack))
    await open_home(driver, slack, OTHER)
    await eventually(lambda: OLIVE_EMAIL in simulator.state.approval_lookups)
    lookups = simulator.state.approval_lookups
    avery_before = lookups.count(AVERY_EMAIL)
    for _ in range(3):
        await bot.approval_watcher.poll_once()
    assert lookups.count(AVERY_EMAIL) == avery_before + 3
    assert lookups.count(OLIVE_EMAIL) == 1
