"""``python -m bot check``: is this deployment ready? Each check says ok, or what is wrong and
how to fix it, without changing anything (no message is posted, no order is placed)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import BaseModel
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.mobproc.client import MobProcClient
from bot.mobproc.errors import MobProcAuthError, MobProcError, MobProcRefused
from bot.settings import Settings
from bot.simulator.server import SimulatorConfig, start_simulator
from bot.slack.app import create_slack_client
from bot.storage.database import create_engine

# What a network failure on the way to Slack raises (slack-sdk's async client uses aiohttp).
UNREACHABLE = (aiohttp.ClientError, OSError, TimeoutError)
# A number no line has: the read proves the API answers without touching a real line.
PROBE_NUMBER = "0000000000"


class CheckResult(BaseModel):
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok' if self.ok else 'PROBLEM':<8} {self.name}: {self.detail}"


def ok(name: str, detail: str) -> CheckResult:
    return CheckResult(name=name, ok=True, detail=detail)


def problem(name: str, detail: str) -> CheckResult:
    return CheckResult(name=name, ok=False, detail=detail)


async def run_checks(settings: Settings, *, required_scopes: list[str]) -> list[CheckResult]:
    """Every check, in the order a person would fix them."""
    results = [_settings(settings), await _database(settings)]
    if settings.SLACK_BOT_TOKEN is not None:
        results += await _slack(settings, create_slack_client(settings), required_scopes)
    if settings.SLACK_APP_TOKEN is not None:
        results.append(await _socket_mode(settings))
    results += await _mobproc(settings)
    return results


def _settings(settings: Settings) -> CheckResult:
    if settings.SLACK_BOT_TOKEN is None:
        return problem("settings", "SLACK_BOT_TOKEN is unset, so `python -m bot` would run the "
                       "demo: set it to the app's Bot User OAuth Token (xoxb-…)")
    if not settings.APPROVERS:
        return problem("settings", "APPROVERS is empty, so nobody could approve an order: set "
                       "it to Slack user ids (U…) and/or user-group ids (S…)")
    mode = "Socket Mode" if settings.socket_mode else f"HTTP mode on port {settings.PORT}"
    return ok("settings", f"valid ({mode})")


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unreadable URL)"


async def _database(settings: Settings) -> CheckResult:
    name = "database"
    shown = _safe_url(settings.DATABASE_URL)
    sqlite_file = _new_sqlite_file(settings.DATABASE_URL)
    if sqlite_file is not None:  # connecting would create it: look, don't touch
        folder = sqlite_file.parent
        if folder.is_dir() and os.access(folder, os.W_OK):
            return ok(name, f"{shown} does not exist yet; the bot will create it")
        return problem(name, f"{shown} cannot be created: {folder} is missing or not "
                       "writable; fix DATABASE_URL or the folder")
    try:
        engine = create_engine(settings.DATABASE_URL)
    except Exception as exc:
        return problem(name, f"DATABASE_URL {shown} is not usable ({type(exc).__name__}): "
                       "use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:
        return problem(name, f"cannot connect to {shown} ({type(exc).__name__}): check the "
                       "host, port, database name and credentials in DATABASE_URL")
    finally:
        await engine.dispose()
    return ok(name, f"{shown} answers")


def _new_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL whose database does not exist yet, else None."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def _slack_error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or exc.response.status_code)


async def _slack(settings: Settings, client: AsyncWebClient,
                 required_scopes: list[str]) -> list[CheckResult]:
    try:
        answer = await client.auth_test()
    except SlackApiError as exc:
        error = _slack_error(exc)
        fix = ("copy the Bot User OAuth Token (xoxb-…) again from the app's OAuth & "
               "Permissions page into SLACK_BOT_TOKEN") if error in (
            "invalid_auth", "not_authed", "token_revoked", "account_inactive") else \
            "see https://api.slack.com/methods/auth.test for this error"
        return [problem("Slack sign-in", f"Slack refused the bot token ({error}): {fix}")]
    except UNREACHABLE as exc:
        return [problem("Slack sign-in", f"could not reach Slack at {settings.SLACK_API_URL} "
                        f"({type(exc).__name__}): check SLACK_API_URL and the network")]
    results = [ok("Slack sign-in", f"signed in as @{answer.get('user')} in "
                  f"{answer.get('team')} ({answer.get('team_id')})")]
    results.append(_scopes(answer.headers, required_scopes))
    channels = [("APPROVAL_CHANNEL", settings.APPROVAL_CHANNEL)] if settings.APPROVAL_CHANNEL \
        else []
    channels += [("HELPDESK_CHANNELS", c) for c in settings.HELPDESK_CHANNELS]
    if not settings.APPROVAL_CHANNEL:
        results.append(ok("APPROVAL_CHANNEL", "unset: approval requests go to the channel "
                          "each command came from"))
    for setting, channel in channels:
        results.append(await _membership(client, setting, channel))
    for approver in settings.APPROVERS:
        results.append(await _approver(client, approver))
    return results


def _scopes(headers: Any, required: list[str]) -> CheckResult:
    name = "Slack scopes"
    granted_header = headers.get("x-oauth-scopes") if headers is not None else None
    if granted_header is None:
        return problem(name, "Slack did not say which scopes the token has (no "
                       "x-oauth-scopes header): check SLACK_API_URL points at Slack's Web API")
    granted = {s.strip() for s in str(granted_header).split(",") if s.strip()}
    missing = [s for s in required if s not in granted]
    if missing:
        return problem(name, f"the token lacks {', '.join(missing)}, which manifest.yml asks "
                       "for: add them under OAuth & Permissions (or recreate the app from "
                       "manifest.yml), reinstall the app and copy the new token")
    return ok(name, f"the token has all {len(required)} scopes manifest.yml asks for")


async def _membership(client: AsyncWebClient, setting: str, channel: str) -> CheckResult:
    name = f"{setting} {channel}"
    invite = f"invite the bot there (/invite @<bot name> in the channel) or fix {setting}"
    try:
        answer = await client.conversations_info(channel=channel)
    except SlackApiError as exc:
        error = _slack_error(exc)
        if error == "channel_not_found":
            return problem(name, f"no such channel, or a private one the bot is not in: {invite}")
        if error == "missing_scope":
            return problem(name, f"the token may not read channels (needs "
                           f"{exc.response.get('needed')}): add the scope, reinstall the app")
        return problem(name, f"Slack refused to describe it ({error})")
    info = answer.get("channel") or {}
    label = f"#{info.get('name')}" if info.get("name") else channel
    if not info.get("is_member"):
        return problem(name, f"the bot is not a member of {label}: {invite}")
    return ok(name, f"the bot is a member of {label}")


async def _approver(client: AsyncWebClient, approver: str) -> CheckResult:
    name = f"APPROVERS {approver}"
    try:
        if approver.startswith("S"):
            answer = await client.usergroups_users_list(usergroup=approver)
            members = list(answer.get("users") or [])
            if not members:
                return problem(name, "the user group has no members, so it adds no approver: "
                               "add people to it or remove it from APPROVERS")
            return ok(name, f"user group with {len(members)} member(s)")
        user = (await client.users_info(user=approver)).get("user") or {}
    except SlackApiError as exc:
        error = _slack_error(exc)
        if error in ("user_not_found", "no_such_subteam", "subteam_not_found"):
            kind = "user group" if approver.startswith("S") else "user"
            return problem(name, f"no such {kind} in this workspace ({error}): fix APPROVERS")
        if error == "missing_scope":
            return problem(name, f"the token may not read it (needs "
                           f"{exc.response.get('needed')}): add the scope, reinstall the app")
        return problem(name, f"Slack refused to describe it ({error})")
    who = user.get("real_name") or user.get("name") or approver
    if user.get("deleted"):
        return problem(name, f"{who} is deactivated: remove them from APPROVERS")
    if user.get("is_bot"):
        return problem(name, f"{who} is a bot, which cannot click Approve: fix APPROVERS")
    return ok(name, f"{who}")


async def _socket_mode(settings: Settings) -> CheckResult:
    assert settings.SLACK_APP_TOKEN is not None
    client = AsyncWebClient(base_url=settings.SLACK_API_URL)
    try:
        await client.apps_connections_open(app_token=settings.SLACK_APP_TOKEN.get_secret_value())
    except SlackApiError as exc:
        return problem("Socket Mode", f"Slack refused SLACK_APP_TOKEN ({_slack_error(exc)}): "
                       "create an app-level token with connections:write and turn Socket Mode "
                       "on in the app's settings")
    except UNREACHABLE as exc:
        return problem("Socket Mode", f"could not reach Slack ({type(exc).__name__})")
    return ok("Socket Mode", "the app-level token may open a connection")


@contextlib.asynccontextmanager
async def _mobproc_client(settings: Settings) -> AsyncIterator[tuple[MobProcClient, str]]:
    from bot.runtime import mobproc_config

    simulator = None
    if settings.use_simulator:
        simulator = await start_simulator(SimulatorConfig())
    client = MobProcClient(mobproc_config(settings, simulator))
    where = "the embedded simulator (MOBPROC_BASE_URL is unset)" if simulator is not None \
        else client.config.base_url
    try:
        yield client, where
    finally:
        await client.aclose()
        if simulator is not None:
            await simulator.stop()


async def _mobproc(settings: Settings) -> list[CheckResult]:
    async with _mobproc_client(settings) as (client, where):
        signed_in = await _mobproc_step(
            "MobProc sign-in", client.sign_in,
            lambda: ok("MobProc sign-in", f"token obtained from {where}"),
            fix="check MOBPROC_TOKEN_URL, MOBPROC_CLIENT_ID, MOBPROC_CLIENT_SECRET, "
                "MOBPROC_USERNAME, MOBPROC_PASSWORD and MOBPROC_SCOPE")
        if not signed_in.ok:
            return [signed_in]
        read = await _mobproc_step(
            "MobProc read", lambda: client.find_service(PROBE_NUMBER),
            lambda: ok("MobProc read", f"{where} answers GET /assets/services"),
            fix="check MOBPROC_BASE_URL and MOBPROC_TENANT")
        return [signed_in, read]


async def _mobproc_step(name: str, call: Callable[[], Awaitable[object]],
                        success: Callable[[], CheckResult], *, fix: str) -> CheckResult:
    try:
        await call()
    except MobProcAuthError as exc:
        return problem(name, f"{exc.message} ({fix})")
    except MobProcRefused as exc:
        return problem(name, f"MobProc refused it: {exc.message} ({fix})")
    except MobProcError as exc:
        status = f" (HTTP {exc.status})" if exc.status else ""
        return problem(name, f"{exc.message}{status} ({fix})")
    return success()


__all__ = ["CheckResult", "run_checks"]
