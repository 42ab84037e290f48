"""A person's Slack profile is read once and shared: by their order form and by the lookups
of MobProc's approval queue for them. A missing e-mail, once added, works at once."""

from __future__ import annotations

from dataclasses import replace

from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from handlers.slack.io import Profiles
from tests.conftest import REQUESTER
from tests.support.clocks import SecondsClock
from tests.support.flow import all_text, approved_order, open_form


def users_info_for(slack: FakeSlackWebAPI, user: str) -> int:
    return sum(c.args.get("user") == user for c in slack.calls_to("users.info"))


def change_email(slack: FakeSlackWebAPI, user: str, email: str) -> None:
    # A copy: the stand-in's default users are shared by every test.
    slack.users[user] = replace(slack.users[user], email=email)


async def test_one_read_serves_the_form_and_the_approval_queue_lookups(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    await approved_order(driver, slack)
    assert bot.approval_watcher is not None
    await bot.approval_watcher.poll_once()
    # The requester used the bot, so MobProc's queue was asked about them by their e-mail…
    await eventually(lambda: "riley@acme.com" in simulator.state.approval_lookups)
    # …which came from the profile their form read: Slack was asked once.
    assert users_info_for(slack, REQUESTER) == 1


async def test_an_email_added_after_a_refusal_works_at_once(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    refused = await open_form(driver, slack, "/suspend-line", "404-555-3104", user="UNOEMAIL")
    assert "no e-mail address" in all_text(refused)
    change_email(slack, "UNOEMAIL", "riley@acme.com")
    form = await open_form(driver, slack, "/suspend-line", "404-555-3104", user="UNOEMAIL")
    assert "no e-mail address" not in all_text(form) and "submit" in form
    assert users_info_for(slack, "UNOEMAIL") == 2


async def test_a_profile_is_read_again_after_its_time(slack: FakeSlackWebAPI) -> None:
    clock = SecondsClock()
    profiles = Profiles(AsyncWebClient(token=slack.bot_token, base_url=slack.base_url),
                        ttl_seconds=300, clock=clock)
    first = await profiles.profile(REQUESTER)
    assert first.email == "riley@acme.com" and first.name == "Riley Requester"
    change_email(slack, REQUESTER, "riley.r@acme.com")
    clock.now += 299
    assert (await profiles.profile(REQUESTER)).email == "riley@acme.com"
    clock.now += 2
    assert (await profiles.profile(REQUESTER)).email == "riley.r@acme.com"
    assert users_info_for(slack, REQUESTER) == 2


async def test_a_failed_read_is_not_kept(slack: FakeSlackWebAPI) -> None:
    profiles = Profiles(AsyncWebClient(token=slack.bot_token, base_url=slack.base_url))
    slack.fail_next("users.info", error="fatal_error", status=200, retry_after=None)
    failed = await profiles.profile(REQUESTER)
    assert failed.email is None and failed.name is None
    assert (await profiles.profile(REQUESTER)).email == "riley@acme.com"
    assert users_info_for(slack, REQUESTER) == 2


async def test_only_the_newest_profiles_are_kept(slack: FakeSlackWebAPI) -> None:
    clock = SecondsClock()
    profiles = Profiles(AsyncWebClient(token=slack.bot_token, base_url=slack.base_url),
                        kept=2, clock=clock)
    for user in (REQUESTER, "UAPPROVER", "UOTHER"):
        await profiles.profile(user)
    calls = len(slack.calls_to("users.info"))
    await profiles.profile("UOTHER")
    await profiles.profile("UAPPROVER")
    assert len(slack.calls_to("users.info")) == calls  # the two newest: kept
    await profiles.profile(REQUESTER)
    assert len(slack.calls_to("users.info")) == calls + 1  # the oldest was let go
