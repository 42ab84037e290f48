"""Delivers queued Slack calls: once each, in order per request, surviving outages and
restarts. Calls are queued in the same transaction as the change they report.

Posts are paced per channel as Slack limits them (about one a second, short bursts
allowed). A 429 holds that channel for its ``Retry-After`` and the call stays queued: a rate
limit never drops a call. Only Slack's permanent refusals take a call out of the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.log_context import log_context
from bot.storage.repository import Claim, QueuedCall, RequestRepository

log = logging.getLogger(__name__)

# Errors that will not go away by trying again: the call is dropped (and logged).
PERMANENT = {"invalid_blocks", "invalid_arguments", "channel_not_found", "not_in_channel",
             "message_not_found", "is_archived", "thread_not_found", "cant_update_message",
             "msg_too_long", "no_text", "invalid_auth", "account_inactive", "token_revoked",
             "missing_scope", "not_authed", "restricted_action", "user_not_found",
             # A Workflow Builder step run already completed, or gone.
             "execution_not_in_running_state", "function_execution_not_found",
             "parameter_validation_failed"}
# The purpose of the one call per request that posts its approval message.
APPROVAL = "approval"
# The approval message carries its request id in Slack message metadata, so a sender taking
# over from one that died mid-post can find it in the channel instead of posting it twice.
APPROVAL_EVENT = "mobproc_bot_approval_request"
# How far back in the channel to look for it: more than a claim period of posts.
LOOKBACK_MESSAGES = 200
# Slack: about one message a second per channel, short bursts allowed.
POSTS_PER_SECOND = 1.0
POST_BURST = 3
# When Slack says 429 without a Retry-After.
DEFAULT_RETRY_AFTER = 1.0

@dataclass(frozen=True)
class PostOnce:
    """A message queued at most once per key under its own purpose (an approval message): how
    its fate is recorded on what it is for, each in the transaction that takes the call off
    the queue and queues what follows (so a crash can't lose it). Such a message carries
    ``approval_metadata(key)``, so a sender taking over from one that died mid-post finds it.

    ``record_posted(call_id, key, channel, ts)``; ``record_refused(call_id, key, error)``."""

    record_posted: Callable[[int, str, str, str], Awaitable[None]]
    record_refused: Callable[[int, str, str], Awaitable[object]]


class _Pace:
    """A channel's allowance: a token bucket, and a hold after a 429."""

    def __init__(self, now: float) -> None:
        self.tokens, self.at, self.hold_until = float(POST_BURST), now, 0.0

    def wait(self, now: float) -> float:
        """Seconds until a post may go (0: now)."""
        self.tokens = min(POST_BURST, self.tokens + (now - self.at) * POSTS_PER_SECOND)
        self.at = now
        if now < self.hold_until:
            return self.hold_until - now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / POSTS_PER_SECOND

    def spend(self) -> None:
        self.tokens -= 1


class OutboxSender:
    def __init__(self, repo: RequestRepository, client: AsyncWebClient, *,
                 claim_seconds: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._repo = repo
        self._client = client
        self._claim_seconds = claim_seconds
        self._clock = clock
        self._lock = asyncio.Lock()
        self._next_round: asyncio.Future[int] | None = None
        self._rounds: asyncio.Future[None] | None = None
        self._paces: dict[str, _Pace] = {}
        self._wake: asyncio.TimerHandle | None = None
        self._wake_task: asyncio.Task[Any] | None = None
        self._closed = False
        # Messages posted once per key, by purpose. A request's approval message is recorded
        # even before the handlers add what follows (``post_once``).
        self._once: dict[str, PostOnce] = {}
        self.post_once(APPROVAL, PostOnce(
            lambda *args: repo.approval_posted(*args),
            lambda *args: repo.approval_refused(*args)))

    def post_once(self, purpose: str, hooks: PostOnce) -> None:
        """Deliver calls queued under ``purpose`` as messages posted once (see PostOnce)."""
        self._once[purpose] = hooks

    async def aclose(self, grace_seconds: float = 10.0) -> None:
        self._closed = True
        if self._wake is not None:
            self._wake.cancel()
        if self._wake_task is not None:
            self._wake_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._wake_task

    async def deliver(self) -> int:
        """Send what is queued and may go now; returns how many calls went out (in the round
        that covered this call). Calls held back by pacing go out on their own, as soon as
        their channel allows.

        Calls made while a round runs share the next round: under a burst every change asks
        for one, and each round reads the whole queue, so a round per caller was most of
        the outbox's work. Each caller still returns only after a round that began after
        its call, so what it queued before calling has been tried."""
        if self._next_round is None:
            self._next_round = asyncio.get_running_loop().create_future()
            if self._rounds is None or self._rounds.done():
                self._rounds = asyncio.ensure_future(self._run_rounds())
        return await asyncio.shield(self._next_round)

    async def _run_rounds(self) -> None:
        while self._next_round is not None:
            round_done, self._next_round = self._next_round, None
            try:
                sent = await self._round()
            except asyncio.CancelledError:
                for waiting in (round_done, self._next_round):
                    if waiting is not None:
                        waiting.cancel()
                raise
            except Exception as exc:  # its callers hear of it; the next round tries again
                round_done.set_exception(exc)
                round_done.exception()  # retrieved: no "never retrieved" noise if none waits
                continue
            round_done.set_result(sent)

    async def _round(self) -> int:
        async with self._lock:
            sent = 0
            blocked: set[str] = set()
            # Channels found closed in this round: under a burst hundreds of posts wait for
            # one channel, and each is passed over without asking its pace again.
            closed: set[str] = set()
            next_try: float | None = None
            stale = datetime.now(UTC) - timedelta(seconds=self._claim_seconds)
            for call in await self._repo.queued_calls():
                if self._closed:
                    break
                if call.request_id in blocked:
                    continue  # an earlier call for this request is not out yet: keep order
                # Slack's limit is on new messages per channel.
                channel = call.posts_to
                if channel is not None:
                    if channel in closed:
                        blocked.add(call.request_id)
                        continue
                    wait = self._pace(channel).wait(self._clock())
                    if wait > 0:
                        closed.add(channel)
                        blocked.add(call.request_id)
                        next_try = wait if next_try is None else min(next_try, wait)
                        continue
                claim = await self._repo.claim_call(call.id, stale)
                if claim is None:
                    blocked.add(call.request_id)  # another sender has it (or had: sent)
                    continue
                if channel is not None:
                    self._pace(channel).spend()
                if await self._send(call, channel, claim):
                    sent += 1
                else:
                    blocked.add(call.request_id)
                    if channel is not None:
                        wait = self._pace(channel).wait(self._clock())
                        if wait > 0:
                            closed.add(channel)
                            next_try = wait if next_try is None else min(next_try, wait)
            if next_try is not None:
                self._deliver_after(next_try)
            return sent

    async def _send(self, call: QueuedCall, channel: str | None, claim: Claim) -> bool:
        """Make one call; True if it left the queue (sent, or refused for good)."""
        once = self._once.get(call.purpose) if call.purpose else None
        if once is not None and _may_be_out(claim) and \
                (found := await self._already_posted(call)) is not None:
            log.warning("Approval message of %s was posted by a sender that stopped before "
                        "recording it; recorded it now", call.request_id)
            await once.record_posted(call.id, call.request_id, *found)
            self._deliver_after(0.0)  # what follows was queued with the record
            return True
        try:
            with log_context(request_id=call.request_id):
                answer = await self._client.api_call(call.method, json=dict(call.args))
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if exc.response.status_code == 429 or error == "ratelimited":
                self._hold(channel, exc.response.headers)
                await self._fail(call, error)
                return False
            if error in PERMANENT:
                await self._refused(call, error)
                return True
            await self._fail(call, error)
            return False
        except Exception as exc:  # connection trouble: try again next round
            await self._fail(call, type(exc).__name__)
            return False
        if once is not None:
            await once.record_posted(call.id, call.request_id, str(answer.get("channel")),
                                     str(answer.get("ts")))
            self._deliver_after(0.0)  # what follows was queued with the record
        else:
            await self._repo.call_done(call.id)
        return True

    async def _already_posted(self, call: QueuedCall) -> tuple[str, str] | None:
        """(channel, ts) of this request's approval message if an earlier attempt posted it;
        None if not, or if the channel can't be read (then posting again is all there is)."""
        channel = str(call.args.get("channel") or "")
        try:
            answer = await self._client.conversations_history(
                channel=channel, limit=LOOKBACK_MESSAGES, include_all_metadata=True)
        except SlackApiError as exc:
            log.info("Could not look for the approval message of %s in %s (%s)",
                     call.request_id, channel, exc.response.get("error"))
            return None
        for message in answer.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == APPROVAL_EVENT and \
                    (metadata.get("event_payload") or {}).get("request_id") == call.request_id:
                return channel, str(message.get("ts"))
        return None

    async def _refused(self, call: QueuedCall, error: str) -> None:
        log.error("Slack refused %s for request %s for good (%s); dropped", call.method,
                  call.request_id, error)
        once = self._once.get(call.purpose) if call.purpose else None
        if once is None:
            await self._repo.call_done(call.id, error=error)
            return
        await once.record_refused(call.id, call.request_id, error)
        self._deliver_after(0.0)  # what follows was queued with the record

    def _pace(self, channel: str) -> _Pace:
        pace = self._paces.get(channel)
        if pace is None:
            pace = self._paces[channel] = _Pace(self._clock())
        return pace

    def _hold(self, channel: str | None, headers: Any) -> None:
        if channel is None:
            return
        try:
            retry_after = float((headers or {}).get("Retry-After") or DEFAULT_RETRY_AFTER)
        except (TypeError, ValueError):
            retry_after = DEFAULT_RETRY_AFTER
        pace = self._pace(channel)
        pace.hold_until = max(pace.hold_until, self._clock() + retry_after)

    def _deliver_after(self, seconds: float) -> None:
        """One timer for the soonest channel to open again."""
        if self._closed or (self._wake is not None and not self._wake.cancelled()
                            and self._wake.when() <= asyncio.get_running_loop().time()
                            + seconds):
            return
        if self._wake is not None:
            self._wake.cancel()
        loop = asyncio.get_running_loop()
        self._wake = loop.call_later(seconds, self._start_wake)

    def _start_wake(self) -> None:
        self._wake = None
        if not self._closed:
            self._wake_task = asyncio.ensure_future(self._wake_up())

    async def _wake_up(self) -> None:
        try:
            await self.deliver()
        except Exception:  # the next round (follower or new call) tries again
            log.warning("Delivering paced Slack calls failed", exc_info=True)

    async def _fail(self, call: QueuedCall, error: str) -> None:
        log.warning("Slack %s for request %s failed (%s); will retry", call.method,
                    call.request_id, error)
        await self._repo.call_failed(call.id, error)


def _may_be_out(claim: Claim) -> bool:
    """Whether an earlier attempt may have posted the call: its sender died mid-call
    (ABANDONED), or it failed in a way that doesn't say (a lost connection, a server
    error). A 429 says no."""
    return claim.earlier_attempts > 0 and \
        claim.last_error not in (None, "ratelimited", "429")


def approval_metadata(request_id: str) -> dict[str, Any]:
    """Slack message metadata naming the request an approval message is for."""
    return {"event_type": APPROVAL_EVENT, "event_payload": {"request_id": request_id}}

