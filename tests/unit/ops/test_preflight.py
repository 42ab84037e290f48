"""``python -m bot check`` against the local Slack stand-in and the MobProc simulator: all
ok on a good deployment, and each problem injected is named with how to fix it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.ops.preflight import CheckResult, run_checks
from bot.simulator.server import RunningSimulator
from bot.slack_standin.fake_web_api import DEFAULT_CHANNELS, DEFAULT_USERS, FakeChannel, FakeUser
from handlers.registry import BOT_SCOPES
from tests.conftest import BOT_TOKEN, bot_settings
from tests.support.processes import free_port, run_bot_command

USERS = [*DEFAULT_USERS, FakeUser("UGONE", "gone", "Gale Gone", "gale@acme.com", deleted=True)]
CHANNELS = [*DEFAULT_CHANNELS, FakeChannel("GSECRET", "secret-desk", private=True,
                                           bot_is_member=False)]


@pytest.fixture
async def slack() -> AsyncIterator[Any]:
    """The stand-in with a deactivated user, a private channel and an empty user group."""
    from bot.slack_standin.fake_web_api import FakeSlackWebAPI

    api = FakeSlackWebAPI(bot_token=BOT_TOKEN, users=USERS, channels=CHANNELS,
                          usergroups={"SAPPROVERS": ["UAPPROVER2"], "SEMPTY": []})
    await api.start()
    yield api
    await api.stop()


async def check(simulator: RunningSimulator, slack: Any, database_url: str,
                **overrides: Any) -> dict[str, CheckResult]:
    settings = bot_settings(simulator, slack, database_url, **overrides)
    results = await run_checks(settings, required_scopes=BOT_SCOPES)
    assert len({r.name for r in results}) == len(results), "one line per check"
    return {r.name: r for r in results}


def problems(results: dict[str, CheckResult]) -> dict[str, str]:
    return {name: r.detail for name, r in results.items() if not r.ok}


async def test_a_good_deployment_passes_every_check(
        simulator: RunningSimulator, slack: Any, database_url: str) -> None:
    results = await check(simulator, slack, database_url)
    assert problems(results) == {}
    assert set(results) == {
        "settings", "database", "Slack sign-in", "Slack scopes",
        "APPROVAL_CHANNEL CAPPROVALS", "HELPDESK_CHANNELS CHELPDESK",
        "APPROVERS UAPPROVER", "APPROVERS SAPPROVERS", "MobProc sign-in", "MobProc read"}
    assert "mobproc-bot" in results["Slack sign-in"].detail
    assert f"all {len(BOT_SCOPES)} scopes" in results["Slack scopes"].detail
    # It looked and read; it changed nothing.
    assert not slack.calls_to("chat.postMessage") and not simulator.state.order_posts
    assert simulator.state.token_requests == 1


async def test_a_wrong_bot_token(simulator: RunningSimulator, slack: Any,
                                 database_url: str) -> None:
    found = problems(await check(simulator, slack, database_url,
                                 SLACK_BOT_TOKEN="xoxb-not-the-token"))
    assert "invalid_auth" in found["Slack sign-in"]
    assert "SLACK_BOT_TOKEN" in found["Slack sign-in"]
    assert "xoxb-not-the-token" not in str(found)


async def test_missing_scopes_are_named(simulator: RunningSimulator, slack: Any,
                                        database_url: str) -> None:
    slack.scopes = [s for s in BOT_SCOPES if s not in ("usergroups:read", "channels:read")]
    found = problems(await check(simulator, slack, database_url))
    assert "usergroups:read, channels:read" in found["Slack scopes"]
    assert "reinstall" in found["Slack scopes"]
    # And the checks that need them say so, as real Slack refuses them.
    assert "channels:read" in found["APPROVAL_CHANNEL CAPPROVALS"]
    assert "usergroups:read" in found["APPROVERS SAPPROVERS"]
    assert "APPROVERS UAPPROVER" not in found


async def test_channels_the_bot_is_not_in(simulator: RunningSimulator, slack: Any,
                                          database_url: str) -> None:
    found = problems(await check(simulator, slack, database_url, APPROVAL_CHANNEL="CNOTMEMBER",
                                 HELPDESK_CHANNELS="CHELPDESK,GSECRET,CNOSUCH"))
    assert set(found) == {"APPROVAL_CHANNEL CNOTMEMBER", "HELPDESK_CHANNELS GSECRET",
                          "HELPDESK_CHANNELS CNOSUCH"}
    assert "not a member of #random" in found["APPROVAL_CHANNEL CNOTMEMBER"]
    assert all("/invite" in detail for detail in found.values())


async def test_approvers_who_cannot_approve(simulator: RunningSimulator, slack: Any,
                                            database_url: str) -> None:
    found = problems(await check(simulator, slack, database_url,
                                 APPROVERS="UAPPROVER,UNOBODY,UGONE,UBOT,SNOSUCH,SEMPTY"))
    assert set(found) == {f"APPROVERS {a}" for a in ("UNOBODY", "UGONE", "UBOT", "SNOSUCH",
                                                     "SEMPTY")}
    assert "no such user" in found["APPROVERS UNOBODY"]
    assert "deactivated" in found["APPROVERS UGONE"]
    assert "bot" in found["APPROVERS UBOT"]
    assert "no such user group" in found["APPROVERS SNOSUCH"]
    assert "no members" in found["APPROVERS SEMPTY"]


async def test_mobproc_credentials_refused(simulator: RunningSimulator, slack: Any,
                                           database_url: str) -> None:
    results = await check(simulator, slack, database_url, MOBPROC_PASSWORD="wrong-pass-9876")
    found = problems(results)
    assert set(found) == {"MobProc sign-in"}
    assert "MOBPROC_PASSWORD" in found["MobProc sign-in"]
    assert "wrong-pass-9876" not in str(found)
    assert "MobProc read" not in results, "no read without a token"


async def test_mobproc_wrong_tenant(simulator: RunningSimulator, slack: Any,
                                    database_url: str) -> None:
    found = problems(await check(simulator, slack, database_url, MOBPROC_TENANT="OTHER"))
    assert set(found) == {"MobProc read"}
    assert "MOBPROC_TENANT" in found["MobProc read"]


async def test_mobproc_unreachable(simulator: RunningSimulator, slack: Any,
                                   database_url: str) -> None:
    port = free_port()
    found = problems(await check(
        simulator, slack, database_url, MOBPROC_TOKEN_URL=f"http://127.0.0.1:{port}/token",
        MOBPROC_BASE_URL=f"http://127.0.0.1:{port}/mobproc/v1"))
    assert set(found) == {"MobProc sign-in"}
    assert "reach" in found["MobProc sign-in"]


async def test_database_unreachable_without_showing_its_password(
        simulator: RunningSimulator, slack: Any, database_url: str, tmp_path: Path) -> None:
    url = f"postgresql+asyncpg://bot:db-secret-4321@127.0.0.1:{free_port()}/bot"
    found = problems(await check(simulator, slack, database_url, DATABASE_URL=url))
    assert set(found) == {"database"}
    assert "cannot connect" in found["database"] and "db-secret-4321" not in found["database"]
    missing = problems(await check(simulator, slack, database_url,
                                   DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/no/dir/x.db"))
    assert "cannot be created" in missing["database"]
    assert not (tmp_path / "no").exists()


async def test_bad_socket_mode_token(simulator: RunningSimulator, slack: Any,
                                     database_url: str) -> None:
    good = await check(simulator, slack, database_url, SLACK_APP_TOKEN=slack.app_token)
    assert good["Socket Mode"].ok
    found = problems(await check(simulator, slack, database_url,
                                 SLACK_APP_TOKEN=SecretStr("xapp-1-wrong")))
    assert set(found) == {"Socket Mode"} and "invalid_auth" in found["Socket Mode"]


async def test_the_command_prints_one_line_per_check_and_fails_on_a_problem(
        simulator: RunningSimulator, slack: Any, database_url: str, tmp_path: Path) -> None:
    settings = bot_settings(simulator, slack, database_url)
    code, out = await run_bot_command(settings, ["check"], tmp_path)
    lines = out.strip().splitlines()
    assert code == 0, out
    assert len(lines) == 11 and all(line.startswith("ok ") for line in lines[:-1])
    assert lines[-1] == "all 10 checks ok"

    settings = bot_settings(simulator, slack, database_url, HELPDESK_CHANNELS="CNOTMEMBER")
    code, out = await run_bot_command(settings, ["check"], tmp_path)
    assert code == 1
    assert [line for line in out.splitlines() if line.startswith("PROBLEM")] == [
        "PROBLEM  HELPDESK_CHANNELS CNOTMEMBER: the bot is not a member of #random: invite the "
        "bot there (/invite @<bot name> in the channel) or fix HELPDESK_CHANNELS"]
    assert BOT_TOKEN not in out

    code, out = await run_bot_command(settings, ["check"], tmp_path, APPROVERS="nobody")
    assert code == 1 and out.startswith("PROBLEM  settings: Setting APPROVERS")
