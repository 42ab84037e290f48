"""/offboard-lines: each bad input, each MobProc refusal and each Block Kit limit, end to
end. Bad input gets a clear message and changes nothing; a refusal names its line."""

from __future__ import annotations

import json
from typing import Any

from bot.demo import fill_form
from bot.slack_standin.block_kit_limits import validate_view
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVAL_CHANNEL, APPROVER, HELPDESK, REQUESTER
from tests.support.flow import all_text, buttons, submitted_orders
from tests.support.offboarding_flow import (
    ALL_THREE,
    choices_of,
    details_for,
    open_offboarding,
    send_for_approval,
    submit_and_wait,
)
from tests.support.slack_reading import replies, replies_saying


async def _command(driver: SlackDriver, text: str) -> str:
    answer = await driver.slash_command(REQUESTER, "/offboard-lines", text, channel_id=HELPDESK)
    assert answer.status_code == 200
    return all_text(json.loads(answer.text)) if answer.text else ""


async def test_no_person_named_gets_the_usage(bot: Any, driver: SlackDriver,
                                             slack: FakeSlackWebAPI) -> None:
    assert "Usage: `/offboard-lines @person`" in await _command(driver, "  ")
    assert "Usage: `/offboard-lines @person`" in await _command(driver, "")
    assert "Please name one person" in await _command(driver, "<@ULEAVER|lena> <@UOTHER|o>")
    assert "neither a person" in await _command(driver, "lena;drop")
    assert slack.calls_to("views.open") == []


async def test_an_employee_without_lines_gets_a_plain_answer(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    view = await open_offboarding(driver, slack, "olive@acme.com")
    assert "MobProc has no lines for *olive@acme.com*" in all_text(view)
    assert "callback_id" not in view or not view.get("submit")
    unknown = await open_offboarding(driver, slack, "nobody.acme")
    assert "no lines for *nobody.acme*" in all_text(unknown)
    assert simulator.state.order_posts == []


async def test_a_person_without_an_email_is_explained(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    view = await open_offboarding(driver, slack, "<@UNOEMAIL|nomail>")
    assert "profile has no e-mail address" in all_text(view)
    assert "company employee id instead" in all_text(view)


async def test_mobproc_outage_while_listing_the_lines(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    simulator.state.add_fault("GET", r"/assets/services$", status=503, times=10)
    view = await open_offboarding(driver, slack, "lena.leaver.acme")
    assert "isn't answering" in all_text(view) and "Nothing was ordered" in all_text(view)


async def test_choosing_nothing_keeps_the_form_open(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    view = await open_offboarding(driver, slack, "lena.leaver.acme")
    answer = await driver.submit_view(REQUESTER, view, {k: "LEAVE" for k in choices_of(view)})
    again = json.loads(answer.text)
    assert again["response_action"] == "update"
    assert "Choose an order for at least one line" in all_text(again["view"])
    assert choices_of(again["view"]) == choices_of(view)
    assert validate_view(again["view"]) == []


async def test_an_order_the_line_does_not_allow_is_not_kept(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    """A crafted choice (UNSUSPEND on an active line) counts as "leave as is"."""
    view = await open_offboarding(driver, slack, "lena.leaver.acme")
    answer = await driver.submit_view(REQUESTER, view, {"41000101": "UNSUSPEND"})
    assert "Choose an order for at least one line" in answer.text


async def test_someone_else_cannot_submit_the_form(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    view = await open_offboarding(driver, slack, "lena.leaver.acme")
    answer = await driver.submit_view("UOTHER", view, {"41000101": "DEACTIVATE"})
    assert "Only the person who opened this form" in answer.text


async def test_a_leaver_with_many_lines_is_paged_within_block_kit_limits(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    first = await open_offboarding(driver, slack, "morgan.many.acme")
    # 32 lines: MobProc answers in two pages of 25, the modal shows three pages of 15.
    assert "holds 32 lines" in all_text(first) and "Page 1 of 3" in all_text(first)
    assert len(choices_of(first)) == 15
    answer = await driver.submit_view(REQUESTER, first, {"42000200": "DEACTIVATE"})
    second = json.loads(answer.text)["view"]
    assert "Page 2 of 3" in all_text(second) and validate_view(second) == []
    second = {**second, "id": first["id"]}
    answer = await driver.submit_view(REQUESTER, second, {"42000215": "SUSPEND"})
    third = {**json.loads(answer.text)["view"], "id": first["id"]}
    assert "Page 3 of 3" in all_text(third) and len(choices_of(third)) == 2
    assert "(617) 555-0231" in all_text(third)
    _, details = await submit_and_wait(driver, slack, third, {"42000231": "DEACTIVATE"})
    text = all_text(details)
    assert "(617) 555-0200" in text and "(617) 555-0215" in text and "(617) 555-0231" in text
    assert "(617) 555-0201" not in text
    channel, ts = await send_for_approval(driver, slack, details)
    message = slack.messages[(channel, ts)]
    assert "29 other lines left as they are" in all_text(message)


async def test_an_approval_message_for_many_lines_stays_within_limits(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    view = await open_offboarding(driver, slack, "morgan.many.acme")
    page = 0
    while True:
        values = {sid: ("SUSPEND" if "SUSPEND" in opts else "DEACTIVATE")
                  for sid, opts in choices_of(view).items()}
        if page < 2:
            answer = await driver.submit_view(REQUESTER, view, values)
            view = {**json.loads(answer.text)["view"], "id": view["id"]}
            page += 1
            continue
        _, details = await submit_and_wait(driver, slack, view, values)
        break
    assert len(details["blocks"]) <= 100 and validate_view(details) == []
    channel, ts = await send_for_approval(driver, slack, details)
    text = all_text(slack.messages[(channel, ts)])
    assert "act on 32 lines" in text and "(617) 555-0231" in text


async def test_a_field_error_is_shown_on_its_shared_field(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    details = await details_for(driver, slack, ALL_THREE)
    values = {**fill_form(details), "CONTACT_NUMBER": "call me"}
    answer = await driver.submit_view(REQUESTER, details, values)
    errors = json.loads(answer.text)
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"CONTACT_NUMBER"}
    assert [p for p in simulator.state.order_posts] == []


async def test_a_refused_line_is_named_and_the_input_kept(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    """T-Mobile doesn't take transfers: MobProc refuses that line's confirmation."""
    details = await details_for(driver, slack, {"41000101": "DEACTIVATE",
                                                "41000103": "XFER_SERVICE_OUT"})
    values = {**fill_form(details), "ADDITIONAL_INSTRUCTIONS": "Collect the phone first"}
    _, again = await submit_and_wait(driver, slack, details, values)
    text = all_text(again)
    assert "MobProc refused these lines' orders" in text
    assert "(312) 555-0103" in text and "T-Mobile does not support transferring" in text
    assert "(312) 555-0101*:" not in text  # only the refused line is named as refused
    kept = next(b for b in again["blocks"] if b.get("block_id") == "ADDITIONAL_INSTRUCTIONS")
    assert kept["element"]["initial_value"] == "Collect the phone first"
    assert not any(c.args.get("channel") == APPROVAL_CHANNEL
                   for c in slack.calls_to("chat.postMessage"))
    assert submitted_orders(simulator) == []


async def test_mobproc_refusing_the_properties_names_the_line(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    view = await open_offboarding(driver, slack, "lena.leaver.acme")
    simulator.state.add_fault("GET", r"/orders/properties", status=400, times=1)
    _, shown = await submit_and_wait(driver, slack, view, {"41000102": "DEACTIVATE"})
    text = all_text(shown)
    assert "(312) 555-0102" in text and "told to fail this call" in text
    assert "Nothing was ordered" in text


async def test_one_lines_failure_does_not_stop_the_others(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    details = await details_for(driver, slack, ALL_THREE)
    channel, ts = await send_for_approval(driver, slack, details)
    # MobProc refuses the first order it is sent (whichever line that is).
    simulator.state.add_fault("POST", r"/orders$", status=400, times=1)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    await eventually(lambda: len(replies_saying(slack, channel, ts, "(312) 555-01")) == 3)
    texts = replies(slack, channel, ts)
    refused = [t for t in texts if "MobProc refused the order" in t]
    assert len(refused) == 1 and "told to fail this call" in refused[0]
    assert len([t for t in texts if "placed; status" in t]) == 2
    # The refused order never reached MobProc's books and is not sent again.
    await bot.follower.poll_once()
    assert len(submitted_orders(simulator)) == 2


async def test_external_choices_are_offered_in_the_details(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    """A deactivation's cost center has more choices than a static select holds."""
    details = await details_for(driver, slack, {"41000101": "DEACTIVATE"})
    block = next(b for b in details["blocks"] if b.get("block_id") == "COST_CENTER")
    assert block["element"]["type"] == "external_select"
    answer = await driver.block_suggestion(REQUESTER, details, "COST_CENTER",
                                           block["element"]["action_id"], "Support")
    options = answer.json()["options"]
    assert 0 < len(options) <= 100 and all("Support" in o["text"]["text"] for o in options)


async def test_only_an_approver_approves_and_nobody_their_own(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    details = await details_for(driver, slack, ALL_THREE)
    channel, ts = await send_for_approval(driver, slack, details)
    for user in ("UOTHER", REQUESTER):
        before = len(slack.calls_to("chat.postEphemeral"))
        await driver.click_button(user, channel_id=channel, message_ts=ts,
                                  action_id="approve_offboarding")
        notice = await eventually(lambda u=user, b=before: next(
            (c for c in slack.calls_to("chat.postEphemeral")[b:]
             if c.args.get("user") == u), None))
        assert "Nothing was changed" in notice.args["text"]
    assert submitted_orders(simulator) == []
    assert "approval needed" in slack.messages[(channel, ts)]["text"]


async def test_cancel_orders_nothing(bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI,
                                     simulator: Any) -> None:
    details = await details_for(driver, slack, ALL_THREE)
    channel, ts = await send_for_approval(driver, slack, details)
    await driver.click_button(REQUESTER, channel_id=channel, message_ts=ts,
                              action_id="cancel_offboarding")
    await eventually(lambda: replies_saying(slack, channel, ts, "Cancelled by"))
    before = len(slack.calls_to("chat.postEphemeral"))
    # A stale copy of the message still showing the buttons:
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding",
                              value=details["private_metadata"])
    notice = await eventually(lambda: next(
        (c for c in slack.calls_to("chat.postEphemeral")[before:]
         if c.args.get("user") == APPROVER), None))
    assert "already cancelled" in notice.args["text"]
    assert submitted_orders(simulator) == []


async def test_a_crafted_button_cannot_act_on_another_request(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    details = await details_for(driver, slack, ALL_THREE)
    channel, ts = await send_for_approval(driver, slack, details)
    offboarding_id = details["private_metadata"]
    other = await driver.post_message(REQUESTER, APPROVAL_CHANNEL, "hello", send_event=False)
    await driver.click_button(APPROVER, channel_id=APPROVAL_CHANNEL, message_ts=other[0],
                              action_id="approve_offboarding", value=offboarding_id)
    await eventually(lambda: any("can't find the request" in c.args.get("text", "")
                                 for c in slack.calls_to("chat.postEphemeral")))
    assert submitted_orders(simulator) == []
    # The leaver's request is still waiting, its buttons still there.
    assert "approval needed" in slack.messages[(channel, ts)]["text"]
    assert [b["text"]["text"] for b in buttons(slack.messages[(channel, ts)])] == [
        "Approve", "Cancel"]


async def test_mobproc_outage_while_confirming_keeps_the_input(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    details = await details_for(driver, slack, {"41000101": "DEACTIVATE"})
    values = {**fill_form(details), "ADDITIONAL_INSTRUCTIONS": "Wipe the phone"}
    simulator.state.add_fault("POST", r"/orders$", status=503, times=10)
    _, again = await submit_and_wait(driver, slack, details, values)
    text = all_text(again)
    assert "(312) 555-0101" in text and "isn't answering" in text
    kept = next(b for b in again["blocks"] if b.get("block_id") == "ADDITIONAL_INSTRUCTIONS")
    assert kept["element"]["initial_value"] == "Wipe the phone"
    # Once MobProc is back, the same form goes through.
    simulator.state.faults.clear()
    before = len(slack.calls_to("chat.postMessage"))
    await driver.submit_view(REQUESTER, again, values)
    await eventually(lambda: any(c.args.get("channel") == APPROVAL_CHANNEL
                                 for c in slack.calls_to("chat.postMessage")[before:]))


async def test_an_answer_lost_on_approval_is_looked_up_not_resent(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI, simulator: Any) -> None:
    details = await details_for(driver, slack, ALL_THREE)
    channel, ts = await send_for_approval(driver, slack, details)
    # MobProc places the first order it is sent, but its answer never arrives.
    simulator.state.add_fault("POST", r"/orders$", drop_after_processing=True)
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    await eventually(lambda: len(replies_saying(slack, channel, ts, "placed; status")) == 3,
                     within=15)
    numbers = [p["body"]["orderRequest"]["externalOrderNumber"]
               for p in submitted_orders(simulator)]
    assert len(numbers) == len(set(numbers)) == 3
