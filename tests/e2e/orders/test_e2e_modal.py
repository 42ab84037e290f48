"""The order modal's finer points, end to end."""

from __future__ import annotations

from bot.runtime import RunningBot
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import REQUESTER
from tests.support.flow import all_text, open_form


async def test_long_choice_lists_use_an_external_select_with_search(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    view = await open_form(driver, slack, "/deactivate-line", "212-555-0123")
    form = await bot.ctx.orders.form(view["private_metadata"])
    assert form is not None
    long_lists = [f for g in form.property_groups for f in g.fields if len(f.choices) > 100]
    assert long_lists, "the simulator offers a CHOICE with more than 100 choices"
    definition = long_lists[0]
    block = next(b for b in view["blocks"] if b.get("block_id") == definition.id)
    assert block["element"]["type"] == "external_select"

    wanted = definition.choices[42]
    query = (wanted.label or wanted.id)[:8]
    answer = await driver.block_suggestion(REQUESTER, view, definition.id,
                                           block["element"]["action_id"], query)
    assert answer.status_code == 200
    options = answer.json()["options"]
    assert 0 < len(options) <= 100
    assert wanted.id in [o["value"] for o in options]
    assert all(query.lower() in o["text"]["text"].lower() for o in options)


async def test_the_form_shows_the_line_found(
        driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    view = await open_form(driver, slack, "/suspend-line", "my phone 415 555 0199 is lost")
    text = all_text(view)
    assert "(415) 555-0199" in text
    assert "Active" in text


async def test_an_expired_trigger_gets_a_please_try_again(
        driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    slack.trigger_ttl_seconds = 0.0
    answer = await driver.slash_command(REQUESTER, "/suspend-line", "415-555-0199")
    assert answer.status_code == 200
    notice = await eventually(lambda: next(
        (c for c in slack.calls_to("chat.postEphemeral") + slack.calls_to("chat.postMessage")
         if c.ok and c.args.get("user", c.args.get("channel")) == REQUESTER), None))
    assert "try again" in all_text(notice.args).lower()
