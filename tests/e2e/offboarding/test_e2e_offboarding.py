"""/offboard-lines end to end: signed requests to the bot's HTTP server, the fake Slack Web
API, and the simulator as MobProc."""

from __future__ import annotations

from typing import Any

from bot.demo import fill_form
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import APPROVER, Clock
from tests.support.flow import all_text, buttons, submitted_orders
from tests.support.offboarding_flow import (
    ALL_THREE,
    LEAVER,
    add_leaver,
    choices_of,
    details_for,
    input_ids,
    open_offboarding,
    send_for_approval,
)
from tests.support.slack_reading import replies, replies_saying


async def test_a_leavers_lines_are_listed_with_the_orders_each_allows(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    add_leaver(slack)
    view = await open_offboarding(driver, slack, f"<@{LEAVER}|lena>")
    text = all_text(view)
    for number in ("(312) 555-0101", "(312) 555-0102", "(312) 555-0103"):
        assert number in text
    assert "iPhone 14 (128GB) - Midnight" in text and "Verizon Business Unlimited" in text
    assert "Suspended" in text and "Lena Leaver" in text
    assert choices_of(view) == {
        "41000101": ["LEAVE", "SUSPEND", "DEACTIVATE", "XFER_SERVICE_OUT"],
        "41000102": ["LEAVE", "UNSUSPEND", "DEACTIVATE"],
        "41000103": ["LEAVE", "SUSPEND", "DEACTIVATE", "XFER_SERVICE_OUT"],
    }
    # Nothing is chosen for anyone: every line starts as "leave as is".
    assert all(b["element"]["initial_option"]["value"] == "LEAVE"
               for b in view["blocks"] if b.get("type") == "input")


async def test_an_email_or_employee_id_finds_the_same_lines(
        bot: Any, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    by_mail = await open_offboarding(driver, slack, "<mailto:lena@acme.com|lena@acme.com>")
    by_id = await open_offboarding(driver, slack, "lena.leaver.acme")
    assert choices_of(by_mail) == choices_of(by_id) and len(choices_of(by_id)) == 3


async def test_shared_fields_are_asked_once(bot: Any, driver: SlackDriver,
                                            slack: FakeSlackWebAPI) -> None:
    details = await details_for(driver, slack, ALL_THREE)
    ids = input_ids(details)
    # One contact number and one preferred date for all three orders; each order type's own
    # reason; the line's own number (pre-filled by MobProc) is not asked at all.
    assert ids.count("CONTACT_NUMBER") == 1 and ids.count("PREFERRED_DATE") == 1
    assert {"Reason.DEACTIVATE", "Reason.SUSPEND", "HOLD_SERVICE", "PERSONAL_EMAIL",
            "acknowledgements"} <= set(ids)
    assert "SERVICE_NUMBER" not in ids and "Reason" not in ids
    assert "(312) 555-0102" in all_text(details) and "deactivate" in all_text(details)


async def test_the_whole_request_end_to_end(bot: Any, driver: SlackDriver,
                                           slack: FakeSlackWebAPI, simulator: Any,
                                           clock: Clock) -> None:
    details = await details_for(driver, slack, ALL_THREE)
    values = fill_form(details)
    channel, ts = await send_for_approval(driver, slack, details, values)
    # Each line was confirmed with MobProc, nothing ordered yet.
    confirms = [p for p in simulator.state.order_posts if p["confirm"]]
    assert {p["body"]["orderRequest"]["serviceId"] for p in confirms} == set(ALL_THREE)
    assert submitted_orders(simulator) == []
    message = slack.messages[(channel, ts)]
    assert [b["text"]["text"] for b in buttons(message)] == ["Approve", "Cancel"]
    text = all_text(message)
    for number in ("(312) 555-0101", "(312) 555-0102", "(312) 555-0103"):
        assert number in text

    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    await eventually(lambda: len(submitted_orders(simulator)) == 3)
    bodies = [p["body"]["orderRequest"] for p in submitted_orders(simulator)]
    assert {b["serviceId"]: b["transactionType"] for b in bodies} == ALL_THREE
    assert len({b["externalOrderNumber"] for b in bodies}) == 3
    # The shared date went to each order under its own property id.
    dates = {f["id"]: f["date"][:10] for b in bodies for g in b["properties"]
             for f in g["fields"] if f["type"] == "DATE"}
    assert set(dates) == {"PREFERRED_DEACTIVATION_DATE", "PREFERRED_SUSPENSION_DATE"}
    assert set(dates.values()) == {values["PREFERRED_DATE"]}
    await eventually(lambda: len(replies_saying(slack, channel, ts, "placed; status")) == 3)
    assert buttons(slack.messages[(channel, ts)]) == []
    assert "Approved by" in all_text(slack.messages[(channel, ts)])

    for _ in range(3):
        clock.advance(10)
    await eventually(lambda: "All done" in "\n".join(replies(slack, channel, ts)))
    texts = replies(slack, channel, ts)
    completes = [i for i, r in enumerate(texts) if r.endswith("*Complete*")]
    assert len(completes) == 3
    # The summary comes once, last, after every line's own news.
    summaries = [i for i, r in enumerate(texts) if "All done" in r]
    assert summaries == [len(texts) - 1] and "3 of 3 completed" in texts[-1]
    await eventually(lambda: "Every line's order has ended" in all_text(
        slack.messages[(channel, ts)]))
    assert "Complete" in all_text(slack.messages[(channel, ts)])
    assert len(submitted_orders(simulator)) == 3
