"""Help-desk channel requests, the message shortcut and mentions, end to end."""

from __future__ import annotations

import pytest

from bot.demo import fill_form
from bot.domain import RequestState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, HELPDESK, Clock
from tests.support.flow import all_text, submitted_orders
from tests.support.helpdesk_flow import AGENT, EMPLOYEE, start_buttons, start_order_from_reply
from tests.support.slack_reading import bot_replies, dms_to
from tests.support.waiting import with_approval_message


@pytest.mark.parametrize(("text", "verb"), [
    ("my phone was stolen at the airport, please suspend 415-555-0199", "suspend"),
    ("Lost my phone :( the number is (404) 555-3104", "suspend"),
    ("Found my phone! Please reactivate +1 415 555 0142", "unsuspend"),
    ("415.555.0142 is back from leave, please turn it back on", "unsuspend"),
    ("Peter left the company, please cancel 4155550142", "deactivate"),
    ("terminate line 212 555 0123 please", "deactivate"),
    ("I'm leaving and want to keep my number 4155550199 as a personal line", "transfer"),
])
async def test_requests_in_many_wordings_get_a_start_button(
        text: str, verb: str, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    ts, answer = await driver.post_message(EMPLOYEE, HELPDESK, text)
    assert answer is not None and answer.status_code == 200
    reply = (await eventually(lambda: bot_replies(slack, HELPDESK, ts)))[0]
    buttons = start_buttons(reply)
    assert [b["text"]["text"] for b in buttons] == [f"Start {verb}" + (
        " to personal" if verb == "transfer" else "") + " order"]
    assert f"<@{EMPLOYEE}>" in all_text(reply)


async def test_unclear_requests_offer_what_the_line_allows(
        driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    ts, _ = await driver.post_message(EMPLOYEE, HELPDESK, "help with 415-555-0142?")
    reply = (await eventually(lambda: bot_replies(slack, HELPDESK, ts)))[0]
    labels = [b["text"]["text"] for b in start_buttons(reply)]
    assert labels == ["Start unsuspend order", "Start deactivate order"]


async def test_an_order_the_line_does_not_allow_is_explained(
        driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    ts, _ = await driver.post_message(EMPLOYEE, HELPDESK, "suspend 415-555-0142 please")
    reply = (await eventually(lambda: bot_replies(slack, HELPDESK, ts)))[0]
    assert "can't be suspended" in all_text(reply)
    assert "Start suspend order" not in all_text(reply)


async def test_what_the_bot_ignores(driver: SlackDriver, slack: FakeSlackWebAPI,
                                    bot: RunningBot) -> None:
    parent, _ = await driver.post_message(EMPLOYEE, HELPDESK, "no number, just lost my phone")
    ignored = [
        await driver.post_message(EMPLOYEE, HELPDESK, "thread: suspend 415-555-0199",
                                  thread_ts=parent),
        await driver.post_message(slack.bot_user_id, HELPDESK, "suspend 415-555-0199",
                                  bot_id="BBOT"),
        await driver.post_message("UOTHERBOT", HELPDESK, "suspend 415-555-0199",
                                  bot_id="B999", subtype="bot_message"),
        await driver.post_message(EMPLOYEE, HELPDESK, "suspend 415-555-0199",
                                  subtype="message_changed"),
        await driver.post_message(EMPLOYEE, HELPDESK, "", subtype="message_deleted"),
        await driver.post_message(EMPLOYEE, "CGENERAL", "suspend 415-555-0199"),
    ]
    assert all(answer is not None and answer.status_code == 200 for _, answer in ignored)
    # A message that is answered, sent last: once its reply is there, the others were handled.
    last, _ = await driver.post_message(EMPLOYEE, HELPDESK, "suspend 415-555-0199")
    await eventually(lambda: bot_replies(slack, HELPDESK, last))
    posted = [c for c in slack.calls_to("chat.postMessage")]
    assert [c.args.get("thread_ts") for c in posted] == [last]


async def test_a_whole_order_from_a_helpdesk_message(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator, clock: Clock) -> None:
    ts, _ = await driver.post_message(EMPLOYEE, HELPDESK,
                                      "My phone was stolen! Please suspend 404-555-3104")
    view = await start_order_from_reply(driver, slack, ts)
    notes = next(b for b in view["blocks"] if b.get("block_id") == "ADDITIONAL_INSTRUCTIONS")
    assert "stolen" in notes["element"]["initial_value"]  # pre-filled from the message
    reason = next(b for b in view["blocks"] if b.get("block_id") == "Reason")
    assert reason["element"]["initial_option"]["text"]["text"] == "Stolen device"

    await driver.submit_view(AGENT, view, fill_form(view))
    request = await eventually(lambda: with_approval_message(bot, view["private_metadata"]))
    assert request.requester_id == EMPLOYEE and request.entered_by == AGENT
    assert request.requester_email == "olive@acme.com"
    assert simulator.state.order_posts[-1]["context"] == "olive@acme.com"
    # The confirmation summary reaches the help-desk thread too.
    await eventually(lambda: len(bot_replies(slack, HELPDESK, ts)) == 2)

    await driver.click_button(APPROVER, channel_id=request.approval_channel,
                              message_ts=request.approval_ts, action_id="approve_request")
    await eventually(lambda: len(bot_replies(slack, HELPDESK, ts)) == 3)
    clock.advance(10)
    await eventually(lambda: len(bot_replies(slack, HELPDESK, ts)) == 4)
    clock.advance(10)
    await eventually(lambda: len(bot_replies(slack, HELPDESK, ts)) == 5)
    texts = [m["text"] for m in bot_replies(slack, HELPDESK, ts)]
    assert "is placed" in texts[2] and "In progress" in texts[3] and "Complete" in texts[4]
    # In the help-desk thread the news is for Olive, who asked there, and for the agent;
    # in the approval thread for the agent who filled in the form.
    assert f"<@{EMPLOYEE}> <@{AGENT}>, MobProc order" in texts[2]
    assert f"<@{EMPLOYEE}> <@{AGENT}>, the line is suspended" in texts[4]
    approval_texts = [m["text"] for m in slack.thread_replies(request.approval_channel,
                                                              request.approval_ts)]
    assert f"<@{AGENT}>, the line is suspended" in approval_texts[-1]
    assert f"<@{EMPLOYEE}>" not in "".join(approval_texts)
    # The approver was warned: the order is for Olive, the line is Barbara's.
    posted = next(c for c in slack.calls_to("chat.postMessage")
                  if c.ok and c.response["ts"] == request.approval_ts)
    warned = all_text(posted.args)
    assert "Olive Other asks to suspend a line held by Barbara Andrews" in warned
    dm = await eventually(lambda: dms_to(slack, EMPLOYEE))
    assert "Done: (404) 555-3104 is suspended" in dm[0]
    assert len(submitted_orders(simulator)) == 1
    final = await bot.ctx.repo.get(request.id)
    assert final is not None and final.state is RequestState.COMPLETED


async def test_the_message_shortcut(driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    ts, _ = await driver.post_message(EMPLOYEE, "CGENERAL", "phone lost: 415-555-0199")
    await driver.message_shortcut(AGENT, "create_line_order", channel_id="CGENERAL",
                                  message_ts=ts)
    reply = (await eventually(lambda: bot_replies(slack, "CGENERAL", ts)))[0]
    assert [b["text"]["text"] for b in start_buttons(reply)] == ["Start suspend order"]
    assert f"<@{EMPLOYEE}>" in all_text(reply)
    # On a message with no number the clicker is told, privately.
    plain, _ = await driver.post_message(EMPLOYEE, "CGENERAL", "hello all")
    await driver.message_shortcut(AGENT, "create_line_order", channel_id="CGENERAL",
                                  message_ts=plain)
    await eventually(lambda: any(c.args.get("user") == AGENT and "line number" in
                                 all_text(c.args) for c in slack.calls_to("chat.postEphemeral")))


async def test_mentioning_the_bot(driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    text = f"<@{slack.bot_user_id}> please deactivate 212-555-0123"
    ts = slack.add_user_message(EMPLOYEE, "CGENERAL", text)
    await driver.event({"type": "app_mention", "channel": "CGENERAL", "user": EMPLOYEE,
                        "text": text, "ts": ts})
    reply = (await eventually(lambda: bot_replies(slack, "CGENERAL", ts)))[0]
    assert [b["text"]["text"] for b in start_buttons(reply)] == ["Start deactivate order"]


async def test_a_redelivered_message_is_answered_once(driver: SlackDriver,
                                                      slack: FakeSlackWebAPI) -> None:
    text = "stolen phone, suspend 415-555-0199"
    ts, _ = await driver.post_message(EMPLOYEE, HELPDESK, text)
    await eventually(lambda: bot_replies(slack, HELPDESK, ts))
    event = {"type": "message", "channel": HELPDESK, "user": EMPLOYEE, "text": text,
             "ts": ts, "channel_type": "channel"}
    for retry in (1, 2):
        assert (await driver.event(event, retry_num=retry)).status_code == 200
    # A later message is answered; by then the retries were handled too.
    later, _ = await driver.post_message(EMPLOYEE, HELPDESK, "lost 404-555-3104")
    await eventually(lambda: bot_replies(slack, HELPDESK, later))
    assert len(bot_replies(slack, HELPDESK, ts)) == 1


async def test_a_mention_in_the_help_desk_is_answered_once(
        driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    # Naming a colleague does not hide the request from the bot.
    colleague, _ = await driver.post_message(
        EMPLOYEE, HELPDESK, "<@UAGENT> my phone was stolen, suspend 415-555-0199")
    reply = (await eventually(lambda: bot_replies(slack, HELPDESK, colleague)))[0]
    assert [b["text"]["text"] for b in start_buttons(reply)] == ["Start suspend order"]
    # Mentioning the bot there: Slack sends both a message and an app_mention event.
    text = f"<@{slack.bot_user_id}> please deactivate 212-555-0123"
    ts, _ = await driver.post_message(EMPLOYEE, HELPDESK, text)
    await driver.event({"type": "app_mention", "channel": HELPDESK, "user": EMPLOYEE,
                        "text": text, "ts": ts})
    await eventually(lambda: bot_replies(slack, HELPDESK, ts))
    # A later message is answered; by then both events for the mention were handled.
    later, _ = await driver.post_message(EMPLOYEE, HELPDESK, "lost 404-555-3104")
    await eventually(lambda: bot_replies(slack, HELPDESK, later))
    assert len(bot_replies(slack, HELPDESK, ts)) == 1
