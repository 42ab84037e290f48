"""Small Slack Web API helpers shared by the handlers."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from bot.orders.service import Requester

log = logging.getLogger(__name__)


async def _read_profile(client: AsyncWebClient, user_id: str) -> Requester | None:
    try:
        answer = await client.users_info(user=user_id)
    except SlackApiError as exc:
        log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
        return None
    user = answer.get("user") or {}
    profile = user.get("profile") or {}
    name = profile.get("real_name") or user.get("real_name") or user.get("name")
    return Requester(user_id=user_id, name=name, email=profile.get("email") or None)


# A profile read from Slack is used again for this long: a changed e-mail shows within it.
PROFILE_TTL_SECONDS = 300.0
# Profiles kept at most (the oldest go first): a few hundred bytes each.
PROFILES_KEPT = 10_000


class Profiles:
    """Slack profiles, each read with users.info at most once per PROFILE_TTL_SECONDS, shared
    by everything that needs one: the order form reads the requester's, and MobProc's
    approval queue is then looked up for the same person. Under a burst each read is a Web
    API call (users.info allows about a hundred a minute).

    A failed read is not kept. A profile without an e-mail is kept for the approval queue's
    lookups (``profile``) but read again where its absence refuses the person
    (``profile_with_email``): they are told to add one, and must not have to wait minutes
    for that to work."""

    def __init__(self, client: AsyncWebClient, *, ttl_seconds: float = PROFILE_TTL_SECONDS,
                 kept: int = PROFILES_KEPT, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self._client = client
        self._ttl = ttl_seconds
        self._most = kept
        self._clock = clock
        # Oldest first: an entry is removed before it is stored again.
        self._kept: dict[str, tuple[float, Requester]] = {}

    async def profile(self, user_id: str) -> Requester:
        kept = self._fresh(user_id)
        return kept if kept is not None else await self._read(user_id)

    async def profile_with_email(self, user_id: str) -> Requester:
        """As ``profile``, but a kept profile without an e-mail is read again."""
        kept = self._fresh(user_id)
        return kept if kept is not None and kept.email else await self._read(user_id)

    def _fresh(self, user_id: str) -> Requester | None:
        kept = self._kept.get(user_id)
        return kept[1] if kept is not None and self._clock() - kept[0] < self._ttl else None

    async def _read(self, user_id: str) -> Requester:
        now = self._clock()
        found = await _read_profile(self._client, user_id)
        if found is None:
            return Requester(user_id=user_id, name=None, email=None)
        self._kept.pop(user_id, None)
        self._kept[user_id] = (now, found)
        while len(self._kept) > self._most:
            del self._kept[next(iter(self._kept))]
        return found


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


# What a person is told when Slack refuses to open or fill in a form.
NOT_OPENED = "Slack took too long to open the form. Please try again."
NOT_SHOWN = "Something went wrong showing the form. Please try again."


async def open_view(client: AsyncWebClient, *, trigger_id: str, view: dict[str, Any],
                    user_id: str, channel: str | None) -> str | None:
    """views.open: the modal's id, or None once the person is told Slack refused."""
    try:
        opened = await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.info("views.open failed: %s", slack_error(exc))
        await tell_user(client, user_id=user_id, channel=channel,
                        message=notices.refusal(NOT_OPENED))
        return None
    return str(opened["view"]["id"])


async def update_view(client: AsyncWebClient, *, view_id: str, view: dict[str, Any],
                      user_id: str, channel: str | None) -> None:
    """views.update; the person is told when Slack refuses."""
    try:
        await client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        log.warning("views.update failed: %s", slack_error(exc))
        await tell_user(client, user_id=user_id, channel=channel,
                        message=notices.refusal(NOT_SHOWN))


async def open_then_fill(client: AsyncWebClient, *, trigger_id: str, loading: dict[str, Any],
                         user_id: str, channel: str | None,
                         build: Callable[[], Awaitable[dict[str, Any]]]) -> None:
    """A loading modal at once (trigger ids last 3 s), then what ``build`` makes of it; the
    person is told if Slack refuses either."""
    view_id = await open_view(client, trigger_id=trigger_id, view=loading, user_id=user_id,
                              channel=channel)
    if view_id is None:
        return
    await update_view(client, view_id=view_id, view=await build(), user_id=user_id,
                      channel=channel)
