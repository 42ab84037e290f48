"""Delivers queued Slack calls: once each, in order per request, surviving outages and
restarts. Calls are queued in the same transaction as the change they report."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.log_context import log_context
from bot.storage.repository import RequestRepository

log = logging.getLogger(__name__)

# Errors that will not go away by trying again: the call is dropped (and logged).
PERMANENT = {"invalid_blocks", "invalid_arguments", "channel_not_found", "not_in_channel",
             "message_not_found", "is_archived", "thread_not_found", "cant_update_message",
             "msg_too_long", "no_text", "invalid_auth", "account_inactive", "token_revoked",
             "missing_scope", "not_authed"}


class OutboxSender:
    def __init__(self, repo: RequestRepository, client: AsyncWebClient, *,
                 claim_seconds: float = 60.0) -> None:
        self._repo = repo
        self._client = client
        self._claim_seconds = claim_seconds
        self._lock = asyncio.Lock()

    async def deliver(self) -> int:
        """Send what is queued; returns how many calls went out."""
        async with self._lock:
            sent = 0
            blocked: set[str] = set()
            stale = datetime.now(UTC) - timedelta(seconds=self._claim_seconds)
            for call in await self._repo.queued_calls():
                if call.request_id in blocked:
                    continue  # an earlier call for this request is not out yet: keep order
                if not await self._repo.claim_call(call.id, stale):
                    blocked.add(call.request_id)  # another sender has it
                    continue
                try:
                    with log_context(request_id=call.request_id):
                        await self._client.api_call(call.method, json=call.args)
                except SlackApiError as exc:
                    error = str(exc.response.get("error") or exc.response.status_code)
                    if error in PERMANENT:
                        log.error("Slack refused %s for request %s for good (%s); dropped",
                                  call.method, call.request_id, error)
                        await self._repo.call_done(call.id, error=error)
                        continue
                    await self._fail(call.id, call.request_id, call.method, error, blocked)
                    continue
                except Exception as exc:  # connection trouble: try again next round
                    await self._fail(call.id, call.request_id, call.method,
                                     type(exc).__name__, blocked)
                    continue
                await self._repo.call_done(call.id)
                sent += 1
            return sent

    async def _fail(self, call_id: int, request_id: str, method: str, error: str,
                    blocked: set[str]) -> None:
        log.warning("Slack %s for request %s failed (%s); will retry", method, request_id,
                    error)
        await self._repo.call_failed(call_id, error)
        blocked.add(request_id)
