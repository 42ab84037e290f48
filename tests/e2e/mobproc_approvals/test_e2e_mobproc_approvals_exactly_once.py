"""MobProc's own approvals exactly once through crashes and replicas: the DM posted once
when the bot is killed after Slack took it; the DM's update arriving when the bot dies right
after the change it shows; one answer reaching MobProc when a POST is held back past its
lease while another process carries on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.domain import ApprovalState
from bot.mobproc.models import ApprovalRequest
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, BotFactory, DriverFactory, bot_settings
from tests.support.crash import crashed, die_right_after
from tests.support.flow import all_text, buttons
from tests.support.mobproc_approvals import (
    AVERY_DM,
    PORTAL_ORDER,
    SAM_EMAIL,
    SHORT_TIMEOUT,
    approval_dms,
    avery_dm,
    click,
    notices,
)
from tests.support.processes import start_bot_process

FAST = {"MOBPROC_APPROVALS_POLL_SECONDS": 0.05}


async def test_killed_after_slack_took_the_dm_before_it_was_recorded_posts_it_once(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, database_url: str, tmp_path: Path) -> None:
    process = await start_bot_process(bot_settings(simulator, slack, database_url, **FAST),
                                      tmp_path)
    post = slack._methods["chat.postMessage"]
    killed: list[str] = []

    def post_then_die(args: dict[str, Any]) -> dict[str, Any]:
        """Slack takes the DM; the bot is killed before its answer arrives."""
        answer = post(args)
        if answer["channel"] == AVERY_DM and not killed and \
                any(b.get("type") == "header" for b in args.get("blocks") or []):
            process.process.kill()  # SIGKILL
            killed.append(answer["ts"])
        return answer

    slack._methods["chat.postMessage"] = post_then_die
    try:
        # Avery opens her Home (its view may never be published: the bot dies first).
        await driver_for(process).event({"type": "app_home_opened", "user": APPROVER,
                                         "tab": "home", "channel": AVERY_DM})
        await eventually(lambda: killed)
    finally:
        await process.kill()
        slack._methods["chat.postMessage"] = post
    assert len(approval_dms(slack)) == 1

    restarted = await start_test_bot(**FAST)
    approvals = restarted.ctx.mobproc_approvals
    assert approvals is not None and restarted.approval_watcher is not None

    async def recorded() -> str | None:
        found = await approvals.waiting_for(APPROVER)
        return found[0].dm_ts if found and found[0].dm_ts else None

    # A lease on, the restarted bot takes the DM over, finds it in the DM and records it.
    assert await eventually(recorded) == killed[0]
    for _ in range(3):
        await restarted.approval_watcher.poll_once()
    await restarted.ctx.outbox.deliver()
    assert len(approval_dms(slack)) == 1
    # It is the DM the buttons work in.
    await click(driver_for(restarted), approval_dms(slack)[0], "mobproc_approve")
    await eventually(lambda: buttons(slack.messages[(AVERY_DM, killed[0])]) == [])
    assert len(simulator.state.approval_posts) == 1


@pytest.mark.parametrize("state", [ApprovalState.ANSWERED, ApprovalState.GONE],
                         ids=["decided_here", "decided_elsewhere"])
async def test_killed_right_after_a_change_its_dm_update_still_arrives(
        bot: RunningBot, driver: SlackDriver, start_test_bot: BotFactory,
        slack: FakeSlackWebAPI, state: ApprovalState) -> None:
    dm = await avery_dm(driver, slack)
    approvals = bot.ctx.mobproc_approvals
    assert approvals is not None
    kills: list[str] = []
    die_right_after(approvals.store, "transition", state, kills)
    if state is ApprovalState.ANSWERED:
        await click(driver, dm, "mobproc_approve")
    else:  # Sam approves it in MobProc's portal; the bot's next look sees it gone
        await bot._mobproc.answer_approval(PORTAL_ORDER, ApprovalRequest(action="APPROVE"),
                                           on_behalf_of=SAM_EMAIL)
    await crashed(kills)
    await bot.stop()
    await start_test_bot(**FAST)
    updated = await eventually(lambda: (m := slack.messages[(AVERY_DM, dm["ts"])]).get(
        "edited") and m)
    assert buttons(updated) == []
    if state is ApprovalState.ANSWERED:
        assert "You approved this order" in all_text(updated)
        # The answer she was told is queued with it too.
        await eventually(lambda: notices(slack))
        assert "MobProc has queued your approval" in notices(slack)[0]
    else:
        assert "no longer waits for your approval" in all_text(updated)


async def test_an_answer_held_back_past_its_lease_reaches_mobproc_once(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, database_url: str, tmp_path: Path) -> None:
    """MobProc answers the first POST with 429 and a Retry-After longer than the answer's
    lease. Meanwhile another process sees, a lease on, that the order still waits: the
    buttons come back and Avery answers again there. The first process's retry, once its
    pause ends, must not leave."""
    overrides = {**FAST, "MOBPROC_TIMEOUT_SECONDS": SHORT_TIMEOUT}
    first = await start_test_bot(**overrides)
    dm = await avery_dm(driver_for(first), slack)
    other = await start_bot_process(bot_settings(simulator, slack, database_url, **overrides),
                                    tmp_path)
    try:
        assert first.approval_watcher is not None
        await first.approval_watcher.stop()  # the other process does the looking
        lease = first._mobproc.config.lease_seconds
        simulator.state.add_fault("POST", r"/approval$", status=429,
                                  retry_after=str(int(lease + 2)))
        await click(driver_for(first), dm, "mobproc_approve")
        await eventually(lambda: not simulator.state.faults)  # the 429 was given
        back = await eventually(lambda: (m := slack.messages[(AVERY_DM, dm["ts"])]).get(
            "edited") and "did not reach MobProc" in all_text(m) and m, within=lease + 10)
        assert buttons(back)
        await click(driver_for(other), back, "mobproc_approve")
        # Both clicks are told how they went: the second once MobProc answered it, the
        # first once its pause is over.
        await eventually(lambda: len(notices(slack)) == 2, within=lease + 10)
    finally:
        await other.stop()
    assert [p["body"]["action"] for p in simulator.state.approval_posts] == ["APPROVE"]
    assert any("MobProc has queued your approval" in n for n in notices(slack))
    assert buttons(slack.messages[(AVERY_DM, dm["ts"])]) == []
