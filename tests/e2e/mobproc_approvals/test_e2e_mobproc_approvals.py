"""MobProc's own approval workflow, end to end: the approver's DM and Home, Approve and
Reject, each answer MobProc gives, exactly once; and the thread news of a Slack order."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from bot.domain import ApprovalState
from bot.mobproc.models import ApprovalRequest
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, SLOW_MOBPROC, BotFactory, Clock, DriverFactory
from tests.support.flow import all_text, approved_order, buttons
from tests.support.home import home_buttons, open_home
from tests.support.mobproc_approvals import (
    AVERY_DM,
    AVERY_EMAIL,
    PORTAL_ORDER,
    SAM,
    SAM_EMAIL,
    SHORT_TIMEOUT,
    approval_dms,
    avery_dm,
    click,
    dms,
    notices,
)
from tests.support.slack_reading import replies


async def test_a_waiting_order_reaches_its_approver_once_with_approve_and_reject(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    dm = await avery_dm(driver, slack)
    text = all_text(dm)
    assert "Suspension of (212) 555-0123" in text and "for *James Chen*" in text
    assert "asked by *James Chen*" in text and PORTAL_ORDER in text
    assert "Contact Phone Number" in text and "2125550100" in text  # the order details
    assert [b["text"]["text"] for b in buttons(dm)] == ["Approve", "Reject"]
    # The Home has the same buttons.
    await eventually(lambda: any("Waiting for your approval in MobProc" in all_text(v)
                                 for v in slack.views.values() if v.get("type") == "home"))
    # Many more rounds, and the Home opened again: still one DM.
    assert bot.approval_watcher is not None
    for _ in range(3):
        await bot.approval_watcher.poll_once()
    await open_home(driver, slack, APPROVER)
    assert len(approval_dms(slack)) == 1
    # Only people who opened their Home or used the bot are looked up: Sam did neither.
    assert AVERY_EMAIL in simulator.state.approval_lookups
    assert SAM_EMAIL not in simulator.state.approval_lookups
    assert approval_dms(slack, f"D{SAM}") == []


async def test_approve_in_the_dm(bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
                                 simulator: RunningSimulator) -> None:
    dm = await avery_dm(driver, slack)
    await click(driver, dm, "mobproc_approve")
    await eventually(lambda: notices(slack))
    assert "MobProc has queued your approval" in notices(slack)[0]
    posts = simulator.state.approval_posts
    assert [(p["orderId"], p["body"]["action"], p["context"]) for p in posts] == \
        [(PORTAL_ORDER, "APPROVE", AVERY_EMAIL)]
    # The DM is updated: no buttons, so nobody answers twice.
    updated = slack.messages[(AVERY_DM, dm["ts"])]
    assert buttons(updated) == [] and "You approved this order" in all_text(updated)
    # Her Home is published again without them.
    await eventually(lambda: next(
        (home_buttons(c.args["view"], "mobproc_approve") == []
         for c in reversed(slack.calls_to("views.publish"))
         if c.args.get("user_id") == APPROVER), False))


async def test_reject_asks_for_a_reason_within_mobprocs_limit(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    dm = await avery_dm(driver, slack)
    await click(driver, dm, "mobproc_reject")
    opened = await eventually(lambda: next((c for c in slack.calls_to("views.open") if c.ok),
                                           None))
    view = slack.views[opened.response["view"]["id"]]
    for bad, problem in (("   ", "say why"), ("x" * 256, "at most 255")):
        answer = await driver.submit_view(APPROVER, view, {"reason": bad})
        assert answer.json()["response_action"] == "errors"
        assert problem in answer.json()["errors"]["reason"]
    assert simulator.state.approval_posts == []  # nothing sent for bad input
    answer = await driver.submit_view(APPROVER, view, {"reason": "Not in this year's budget"})
    assert answer.text.strip() in ("", "{}")
    await eventually(lambda: notices(slack))
    assert [p["body"] for p in simulator.state.approval_posts] == \
        [{"action": "REJECT", "reason": "Not in this year's budget"}]
    assert "MobProc has queued the rejection" in notices(slack)[0]
    updated = slack.messages[(AVERY_DM, dm["ts"])]
    assert buttons(updated) == [] and "Not in this year's budget" in all_text(updated)


async def test_approving_from_the_home_tab(bot: RunningBot, driver: SlackDriver,
                                           slack: FakeSlackWebAPI,
                                           simulator: RunningSimulator) -> None:
    dm = await avery_dm(driver, slack)
    home = await open_home(driver, slack, APPROVER)
    assert "Waiting for your approval in MobProc" in all_text(home)
    assert home_buttons(home, "mobproc_approve")
    await driver.click_view_button(APPROVER, home, "mobproc_approve")
    await eventually(lambda: notices(slack))
    assert len(simulator.state.approval_posts) == 1
    assert buttons(slack.messages[(AVERY_DM, dm["ts"])]) == []


async def test_fifty_clicks_send_one_answer(bot: RunningBot, driver: SlackDriver,
                                            slack: FakeSlackWebAPI,
                                            simulator: RunningSimulator) -> None:
    dm = await avery_dm(driver, slack)
    await asyncio.gather(*(click(driver, dm, "mobproc_approve") for _ in range(50)))
    await eventually(lambda: len(notices(slack)) == 50)
    assert len(simulator.state.approval_posts) == 1
    assert sum("already answered here" in n for n in notices(slack)) == 49


async def test_two_bot_processes_post_one_dm_and_send_one_answer(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    first = await start_test_bot(MOBPROC_APPROVALS_POLL_SECONDS=0.05)
    second = await start_test_bot(MOBPROC_APPROVALS_POLL_SECONDS=0.05)
    await open_home(driver_for(first), slack, APPROVER)
    await open_home(driver_for(second), slack, APPROVER)
    assert first.approval_watcher is not None and second.approval_watcher is not None
    await asyncio.gather(first.approval_watcher.poll_once(),
                         second.approval_watcher.poll_once())
    dm = copy.deepcopy((await eventually(lambda: approval_dms(slack)))[0])
    await asyncio.gather(*(click(d, dm, "mobproc_approve") for d in
                           [driver_for(first), driver_for(second)] * 5))
    await eventually(lambda: len(notices(slack)) == 10)
    assert len(approval_dms(slack)) == 1
    assert len(simulator.state.approval_posts) == 1


async def test_a_lost_answer_is_never_sent_again(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    dm = await avery_dm(driver, slack)
    simulator.state.add_fault("POST", r"/approval$", drop_after_processing=True)
    await click(driver, dm, "mobproc_approve")
    await eventually(lambda: notices(slack))
    assert "MobProc's answer was lost" in notices(slack)[0]
    await click(driver, dm, "mobproc_approve")
    await eventually(lambda: len(notices(slack)) == 2)
    assert "Nothing was sent again" in notices(slack)[1]
    # MobProc did take it: the next round sees the order gone and the DM says so.
    await eventually(lambda: "no longer waits for your approval" in all_text(
        slack.messages[(AVERY_DM, dm["ts"])]))
    assert len(simulator.state.approval_posts) == 1


async def test_a_crash_before_sending_is_never_resent_by_the_bot(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    # An answer's lease is MobProc's (its timeout and tries): a short timeout, a short lease.
    bot = await start_test_bot(MOBPROC_APPROVALS_POLL_SECONDS=0.05,
                               MOBPROC_TIMEOUT_SECONDS=SHORT_TIMEOUT)
    driver = driver_for(bot)
    dm = await avery_dm(driver, slack)
    approval_id = buttons(dm)[0]["value"]
    service = bot.ctx.mobproc_approvals
    assert service is not None
    # A process won the click and stopped before (or while) calling MobProc.
    assert await service.store.transition(approval_id, [ApprovalState.WAITING],
                                          ApprovalState.SENDING, action="APPROVE")
    await click(driver, dm, "mobproc_approve")
    await eventually(lambda: notices(slack))
    assert "already answered here" in notices(slack)[0]
    # A lease later the order still waits for her: the buttons come back, nothing was sent.
    updated = await eventually(lambda: (m := slack.messages[(AVERY_DM, dm["ts"])]).get(
        "edited") and m, within=20)
    assert "did not reach MobProc" in all_text(updated) and buttons(updated)
    assert simulator.state.approval_posts == []
    await click(driver, dm, "mobproc_approve")
    await eventually(lambda: len(notices(slack)) == 2)
    assert len(simulator.state.approval_posts) == 1


async def test_an_approver_mobproc_no_longer_accepts_is_told(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    dm = await avery_dm(driver, slack)
    assert bot.approval_watcher is not None
    await bot.approval_watcher.stop()  # its next look would see the order gone from her list
    simulator.state.orders[PORTAL_ORDER].approvers.remove("28691780")  # Avery
    await click(driver, dm, "mobproc_approve")
    await eventually(lambda: notices(slack))
    assert "MobProc says you may not approve this order" in notices(slack)[0]
    assert "not eligible" in notices(slack)[0]
    assert buttons(slack.messages[(AVERY_DM, dm["ts"])]) == []


async def test_an_order_not_ready_for_approval_keeps_its_buttons(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, clock: Clock) -> None:
    dm = await avery_dm(driver, slack)
    assert bot.approval_watcher is not None
    await bot.approval_watcher.stop()  # its next look would see the order gone from her list
    simulator.state.orders[PORTAL_ORDER].submitted = clock()  # back before its approval step
    await click(driver, dm, "mobproc_approve")
    await eventually(lambda: notices(slack))
    assert "isn't ready for approval yet" in notices(slack)[0]
    updated = slack.messages[(AVERY_DM, dm["ts"])]
    assert [b["text"]["text"] for b in buttons(updated)] == ["Approve", "Reject"]
    # Once it is ready, the same button works.
    clock.advance(10)
    await click(driver, dm, "mobproc_approve")
    await eventually(lambda: len(notices(slack)) == 2)
    assert "MobProc has queued your approval" in notices(slack)[1]


async def test_an_order_decided_elsewhere_needs_no_approval(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    dm = await avery_dm(driver, slack)
    # Sam approves in the portal; Avery clicks before the bot's next look.
    assert bot.approval_watcher is not None
    await bot.approval_watcher.stop()
    await bot._mobproc.answer_approval(PORTAL_ORDER, ApprovalRequest(action="APPROVE"),
                                       on_behalf_of=SAM_EMAIL)
    await click(driver, dm, "mobproc_approve")
    await eventually(lambda: notices(slack))
    assert "no longer needs approval" in notices(slack)[0]
    assert buttons(slack.messages[(AVERY_DM, dm["ts"])]) == []


async def test_a_dm_whose_order_was_decided_elsewhere_loses_its_buttons(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    dm = await avery_dm(driver, slack)
    await bot._mobproc.answer_approval(PORTAL_ORDER, ApprovalRequest(action="APPROVE"),
                                       on_behalf_of=SAM_EMAIL)
    await eventually(lambda: buttons(slack.messages[(AVERY_DM, dm["ts"])]) == [])
    assert "no longer waits for your approval" in all_text(slack.messages[(AVERY_DM,
                                                                           dm["ts"])])
    stored = await bot.ctx.mobproc_approvals.waiting_for(APPROVER)  # type: ignore[union-attr]
    assert stored == []


async def test_someone_else_cannot_answer_anothers_approval(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    dm = await avery_dm(driver, slack)
    await click(driver, dm, "mobproc_approve", user=SAM, channel=AVERY_DM)
    await eventually(lambda: notices(slack, f"D{SAM}"))
    assert "can't find this MobProc approval for you" in notices(slack, f"D{SAM}")[0]
    assert simulator.state.approval_posts == []
    row = await bot.ctx.mobproc_approvals.get(buttons(dm)[0]["value"])  # type: ignore[union-attr]
    assert row is not None and row.state is ApprovalState.WAITING


async def test_the_thread_says_when_an_order_waits_in_mobproc_and_who_approved(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    _, channel, ts = await approved_order(driver, slack)
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.order_id
    clock.advance(10)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 2)
    assert "is now *waiting for approval in MobProc*" in replies(slack, channel, ts)[1]
    # Avery approves it in MobProc's portal.
    status = await bot._mobproc.answer_approval(request.order_id,
                                                ApprovalRequest(action="APPROVE"),
                                                on_behalf_of=AVERY_EMAIL)
    assert status == "APPROVAL_QUEUED"
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 3)
    assert f"MobProc order *{request.order_id}* was approved in MobProc by Avery Approver; " \
           "it is now *In progress*." in replies(slack, channel, ts)[2]
    clock.advance(10)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 4)
    assert "the line is suspended" in replies(slack, channel, ts)[3]


async def test_an_order_from_slack_approved_in_the_dm_names_the_approver_in_its_thread(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    _, channel, ts = await approved_order(driver, slack)  # Avery approved it in Slack
    clock.advance(10)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 2)
    # Avery has used the bot, so the next round finds what waits for her in MobProc.
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None
    dm = copy.deepcopy(await eventually(lambda: next(
        (m for m in approval_dms(slack) if request.order_id in all_text(m)), None)))
    await click(driver, dm, "mobproc_approve")
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 3)
    # Named by MobProc's own record, or as the Slack user when the click's note came first.
    news = replies(slack, channel, ts)[2]
    assert f"was approved in MobProc by <@{APPROVER}>" in news or \
        "was approved in MobProc by Avery Approver" in news


async def test_the_thread_says_who_rejected_it_in_mobproc_and_why(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI, clock: Clock) -> None:
    _, channel, ts = await approved_order(driver, slack)
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None and request.order_id
    clock.advance(10)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 2)
    await bot._mobproc.answer_approval(
        request.order_id, ApprovalRequest(action="REJECT", reason="Found the phone"),
        on_behalf_of=SAM_EMAIL)
    await eventually(lambda: len(slack.thread_replies(channel, ts)) == 3)
    text = replies(slack, channel, ts)[2]
    assert "was rejected in MobProc by Sam Supervisor (Found the phone); it is now " \
           "*Rejected*" in text
    assert "this order ended without being completed" in text


async def test_a_list_read_before_the_answer_landed_never_brings_the_buttons_back(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    """A look at MobProc's list that began before a click's answer reached MobProc, but came
    back after the click, still shows the order waiting: that is no sign the answer was
    lost, so the answer is not let to be sent twice."""
    # MobProc slower than the tests' short timeout; the watcher's own rounds are two
    # minutes apart.
    bot = await start_test_bot(**SLOW_MOBPROC)
    driver = driver_for(bot)
    dm = await avery_dm(driver, slack)
    approval_id = next(b["value"] for b in buttons(dm) if b["action_id"] == "mobproc_approve")
    assert bot.approval_watcher is not None and bot.ctx.mobproc_approvals is not None
    approvals = bot.ctx.mobproc_approvals
    # MobProc reads the list at once but its answer comes a second later; the answer to the
    # click is slower still.
    simulator.state.add_fault("GET", r"/orders$", hold_after_processing=1.0)
    simulator.state.add_fault("POST", r"/approval$", hold_after_processing=2.0)
    round_ = asyncio.create_task(bot.approval_watcher.poll_once())
    await eventually(lambda: len(simulator.state.faults) == 1)  # the list was read
    await click(driver, dm, "mobproc_approve")
    await eventually(lambda: simulator.state.approval_posts)
    await round_
    approval = await approvals.get(approval_id)
    assert approval is not None and approval.state is ApprovalState.SENDING
    await eventually(lambda: _answered(approvals, approval_id))
    await click(driver, dm, "mobproc_approve")  # a second click, on the old buttons
    await eventually(lambda: len(notices(slack)) == 2)
    assert len(simulator.state.approval_posts) == 1
    assert not any("did not reach MobProc" in all_text(m) for m in dms(slack))


async def _answered(approvals: Any, approval_id: str) -> bool:
    approval = await approvals.get(approval_id)
    return approval is not None and approval.state is ApprovalState.ANSWERED
