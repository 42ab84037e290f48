"""Small Slack Web API helpers shared by the handlers."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.orders import Requester

log = logging.getLogger(__name__)


async def requester_profile(client: AsyncWebClient, user_id: str) -> Requester:
    try:
        answer = await client.users_info(user=user_id)
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return Requester(user_id=user_id, name=None, email=None)
    user = answer.get("user") or {}
    profile = user.get("profile") or {}
    name = profile.get("real_name") or user.get("real_name") or user.get("name")
    return Requester(user_id=user_id, name=name, email=profile.get("email") or None)


def company_employee_id(requester: Requester, source: str) -> str | None:
    """The person's company employee id in MobProc, read from Slack as EMPLOYEE_ID_FROM says."""
    if not requester.email:
        return None
    if source == "email_local_part":
        return requester.email.split("@", 1)[0]
    return requester.email


async def tell_user(client: AsyncWebClient, *, user_id: str, channel: str | None,
                    message: dict[str, Any]) -> None:
    """An ephemeral message in ``channel``; a direct message when that is not possible."""
    if channel:
        try:
            await client.chat_postEphemeral(channel=channel, user=user_id, **message)
            return
        except SlackApiError as exc:
            log.info("Ephemeral to %s in %s failed (%s); sending a DM", user_id, channel,
                     exc.response.get("error"))
    try:
        await client.chat_postMessage(channel=user_id, **message)
    except SlackApiError as exc:
        log.warning("Could not reach %s at all: %s", user_id, exc.response.get("error"))


def slack_error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or "unknown_error")


def is_slack_retry(request: AsyncBoltRequest) -> bool:
    """Slack delivered this again because our first answer was late or lost."""
    return bool(request.headers.get("x-slack-retry-num"))


async def permalink(client: AsyncWebClient, channel: str, ts: str) -> str | None:
    """A message's link, or None when Slack won't give it (the message is there anyway)."""
    try:
        answer = await client.chat_getPermalink(channel=channel, message_ts=ts)
    except SlackApiError as exc:
        log.info("chat.getPermalink failed: %s", slack_error(exc))
        return None
    return answer.get("permalink")
