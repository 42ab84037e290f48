"""Bad input gets a precise message where it was given, and changes nothing else."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from bot.demo import fill_form
from bot.domain import RequestState
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from tests.conftest import REQUESTER
from tests.support.flow import all_text, open_form


async def test_a_user_without_an_email_address(driver: SlackDriver, slack: FakeSlackWebAPI,
                                               bot: RunningBot) -> None:
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104", user="UNOEMAIL")
    assert "no e-mail address" in all_text(view) and "submit" not in view
    assert not await bot.ctx.repo.in_states(list(RequestState))


async def submit(driver: SlackDriver, view: dict, **changes: object) -> dict:  # type: ignore[type-arg]
    values = fill_form(view)
    values.update(changes)
    answer = await driver.submit_view(REQUESTER, view, values)
    assert answer.status_code == 200
    return answer.json()


async def test_crafted_values_slack_would_not_send(
        driver: SlackDriver, slack: FakeSlackWebAPI, bot: RunningBot,
        simulator: RunningSimulator) -> None:
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    cases = {
        "ADDITIONAL_INSTRUCTIONS": ("x" * 4001, "4000 characters"),
        "CONTACT_NUMBER": ("203\x07555\x1b9999", "control characters"),
        "Reason": ("42", "isn't offered"),
        "PREFERRED_SUSPENSION_DATE": ("2026-02-30", "pick a date"),
    }
    for block_id, (value, expected) in cases.items():
        body = await submit(driver, view, **{block_id: value})
        assert body["response_action"] == "errors"
        assert expected in body["errors"][block_id], block_id
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.state is RequestState.DRAFT
    assert not simulator.state.order_posts


async def test_other_needs_its_text(driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    body = await submit(driver, view, Reason="99")
    assert body["response_action"] == "errors"
    assert "please say what" in body["errors"]["Reason__other"]


async def test_a_form_for_an_unknown_request(driver: SlackDriver, slack: FakeSlackWebAPI,
                                             simulator: RunningSimulator) -> None:
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    forged = {**view, "private_metadata": "no-such-request"}
    body = await submit(driver, forged)
    assert body["response_action"] == "update"
    assert "expired" in all_text(body["view"])
    assert not simulator.state.order_posts


async def test_someone_else_submitting_the_form(driver: SlackDriver, slack: FakeSlackWebAPI,
                                                bot: RunningBot) -> None:
    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    answer = await driver.submit_view("UOTHER", view, fill_form(view))
    assert "Only the person who opened this form" in all_text(answer.json())
    request = await bot.ctx.repo.get(view["private_metadata"])
    assert request is not None and request.state is RequestState.DRAFT


async def test_payloads_with_missing_or_unknown_fields(
        driver: SlackDriver, slack: FakeSlackWebAPI, bot: RunningBot) -> None:
    odd_payloads = [
        {"type": "block_actions", "user": {"id": REQUESTER}, "actions": [],
         "team": {"id": "T0TEST"}, "api_app_id": "AFAKE", "surprise": {"x": 1}},
        {"type": "block_actions", "team": {"id": "T0TEST"},
         "actions": [{"action_id": "approve_request", "type": "button"}],
         "channel": {"id": "CAPPROVALS"}},
        {"type": "view_submission", "user": {"id": REQUESTER}, "team": {"id": "T0TEST"},
         "view": {"callback_id": "order_form", "id": "V1"}},
    ]
    for payload in odd_payloads:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        answer = await driver.post_form(body)
        assert answer.status_code == 400, answer.text
        assert "Malformed payload" in answer.text
    # A well-formed click naming no request is told, privately, that nothing changed.
    await driver.click_button(REQUESTER, channel_id="CAPPROVALS", message_ts="1.1",
                              action_id="approve_request", value="no-such-request")
    await eventually(lambda: any("nothing was changed" in all_text(c.args).lower()
                                 for c in slack.calls_to("chat.postEphemeral")))
    assert not await bot.ctx.repo.in_states(list(RequestState))


async def test_submitting_the_form_many_times_posts_one_approval_request(
        driver: SlackDriver, slack: FakeSlackWebAPI, simulator: RunningSimulator) -> None:
    import asyncio

    view = await open_form(driver, slack, "/suspend-line", "404-555-3104")
    values = fill_form(view)
    answers = await asyncio.gather(*(driver.submit_view(REQUESTER, view, values)
                                     for _ in range(5)))
    assert all(a.status_code == 200 for a in answers)
    await eventually(lambda: [c for c in slack.calls_to("chat.postMessage")
                              if c.args.get("channel") == "CAPPROVALS"])
    await eventually(lambda: any(c.args.get("user") == REQUESTER
                                 for c in slack.calls_to("chat.postEphemeral")))
    approvals = [c for c in slack.calls_to("chat.postMessage")
                 if c.args.get("channel") == "CAPPROVALS"]
    assert len(approvals) == 1
    assert not [p for p in simulator.state.order_posts if not p["confirm"]]
