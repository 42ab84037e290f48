"""Delivers queued Slack calls: once each, in order per request, surviving outages and
restarts. Calls are queued in the same transaction as the change they report.

Posts are paced per channel as Slack limits them (about one a second, short bursts
allowed). A 429 holds that channel for its ``Retry-After`` and the call stays queued: a rate
limit never drops a call. Only Slack's permanent refusals take a call out of the queue.

Every post goes out exactly once. Each send is fenced (``bot.effects.fence``): a sender
claims a call with an attempt number and a lease long enough for one attempt's requests,
and right before a request leaves it checks that its attempt still holds the call and that
the request can end before the lease does; a sender held back past its lease (a stalled
process, a slow answer) drops its attempt, sending nothing, instead of posting behind the
back of the sender that took over. Every ``chat.postMessage`` carries message metadata
naming its call (``effect_metadata``); an attempt following one that may have posted (a
lost answer, a 5xx, a sender that stopped mid-call) first looks for that message where it
would be (the channel, the thread, the DM) and records it instead of posting it again. The
Slack client given here must not retry on its own (``create_slack_client(retries=False)``):
a retry inside it is neither fenced nor looked for.

How the other calls are treated when an attempt may have gone out: ``chat.update`` and
``views.publish`` set a message or a Home to what the call holds, so sending one again is
harmless, and they are simply sent again. ``chat.postEphemeral`` can't be looked for (Slack
keeps no trace of it), so it is sent again too: at least once. A doubled ephemeral notice is
seen by one person, once, and is gone on reload; a lost one is news they never get (it is
often the only answer to what they did), and an uncertain failure is rare.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.effects.fence import Fence, SendDropped, lease_seconds
from bot.ops.log_context import log_context
from bot.ops.metrics import BotMetrics
from bot.storage.outbox_queue import Claim, QueuedCall
from bot.storage.requests import RequestRepository

log = logging.getLogger(__name__)

# Errors that will not go away by trying again: the call is dropped (and logged).
PERMANENT = {"invalid_blocks", "invalid_arguments", "channel_not_found", "not_in_channel",
             "message_not_found", "is_archived", "thread_not_found", "cant_update_message",
             "msg_too_long", "no_text", "invalid_auth", "account_inactive", "token_revoked",
             "missing_scope", "not_authed", "restricted_action", "user_not_found",
             "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large",
             # A Workflow Builder step run already completed, or gone.
             "execution_not_in_running_state", "function_execution_not_found",
             "parameter_validation_failed"}
# Looking for an earlier attempt's post can't be done here at all (no scope to read the
# conversation, the bot not in it, nothing there): posting again is all there is.
CANT_LOOK = PERMANENT | {"method_not_supported_for_channel_type"}
# The purpose of the one call per request that posts its approval message.
APPROVAL = "approval"
# The event type of a line order's messages (``blocks.approval.metadata``): its approval message,
# whose own metadata names its request (``request_id``: ``approval_message_metadata``), the
# message's updates and the news in its thread.
APPROVAL_EVENT = "mobproc_line_order"
# What approval messages posted by earlier versions carry (a posted message keeps the
# metadata it was posted with): they still name their request. MobProc approval DMs keep
# it (``approval_metadata``).
LEGACY_APPROVAL_EVENT = "mobproc_bot_approval_request"
APPROVAL_EVENTS = frozenset({APPROVAL_EVENT, LEGACY_APPROVAL_EVENT})
# The metadata of every other post the outbox makes: the call (effect) it carries out.
EFFECT_EVENT = "mobproc_bot_effect"
# How many messages of a conversation (newest first) or a thread (oldest first) are looked
# through for an earlier attempt's post: more than a lease period of posts.
LOOKBACK_MESSAGES = 200
# Slack: about one message a second per channel, short bursts allowed.
POSTS_PER_SECOND = 1.0
POST_BURST = 3
# When Slack says 429 without a Retry-After.
DEFAULT_RETRY_AFTER = 1.0
# The most Slack requests one attempt makes: opening the DM to look in it, the look, the post.
REQUESTS_PER_ATTEMPT = 3
# After a failure that isn't a 429, the call is tried again this soon, doubling per failure.
FIRST_RETRY_SECONDS = 0.5
LONGEST_RETRY_SECONDS = 30.0

def outbox_lease_seconds(slack_timeout_seconds: float) -> float:
    """How long a sender's claim on a call lasts, the only lease the outbox has: each of an
    attempt's requests running to the Slack client's timeout, each after a pacing interval
    (a post is taken when its channel may post; the interval also covers the fence's check
    in the database before the request)."""
    return lease_seconds(slack_timeout_seconds, REQUESTS_PER_ATTEMPT, 1.0 / POSTS_PER_SECOND)


@dataclass(frozen=True)
class PostOnce:
    """A message queued at most once per key under its own purpose (an approval message): how
    its fate is recorded on what it is for, each in the transaction that takes the call off
    the queue and queues what follows (so a crash can't lose it). Like every post, found by
    its metadata when a sender stopped between Slack's answer and the record; its own
    metadata (``approval_message_metadata``) names it too, as posts before effect metadata did.

    ``record_posted(call_id, key, channel, ts)``; ``record_refused(call_id, key, error)``."""

    record_posted: Callable[[int, str, str, str], Awaitable[None]]
    record_refused: Callable[[int, str, str], Awaitable[object]]


class _LookFailed(Exception):
    """Looking for an earlier attempt's post failed for now: try the call again later."""

    def __init__(self, error: str, retry_after: float | None = None) -> None:
        super().__init__(error)
        self.error, self.retry_after = error, retry_after


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
                 slack_timeout_seconds: float, metrics: BotMetrics | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._repo = repo
        self._client = client
        self._metrics = metrics
        self._slack_timeout = slack_timeout_seconds
        self.lease_seconds = outbox_lease_seconds(slack_timeout_seconds)
        self._clock = clock
        self._lock = asyncio.Lock()
        self._next_round: asyncio.Future[int] | None = None
        self._rounds: asyncio.Future[None] | None = None
        self._paces: dict[str, _Pace] = {}
        self._wake: asyncio.TimerHandle | None = None
        self._wake_task: asyncio.Task[Any] | None = None
        self._closed = False
        # Failures in a row of each call still queued, for its next try's delay.
        self._failures: dict[int, int] = {}
        # A user's DM with the bot, by user id: where a post to the user is looked for.
        self._dms: dict[str, str] = {}
        # Messages posted once per key, by purpose: each kind of request's approval message
        # registers itself (``bot.approval.posts``, ``post_once``).
        self._once: dict[str, PostOnce] = {}

    @property
    def client(self) -> AsyncWebClient:
        """The outbox's own Slack client: no retries of its own (the outbox retries)."""
        return self._client

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
        that covered this call). Calls held back by pacing or a failure go out on their
        own, as soon as their channel allows or their retry is due.

        Calls made while a round runs share the next round: under a burst every change asks
        for one, and each round reads the whole queue, so a round per caller was most of
        the outbox's work. Each caller still returns only after a round that began after
        its call, so what it queued before calling has been tried."""
        if self._next_round is None:
            self._next_round = asyncio.get_running_loop().create_future()
            if self._rounds is None or self._rounds.done():
                self._rounds = asyncio.ensure_future(self._run_rounds())
        return await asyncio.shield(self._next_round)

    async def drain(self, idle_rounds: int = 3, *, deadline: float | None = None) -> int:
        """What a stopping bot sends: rounds until nothing is queued, a call that fails
        tried again as its retry falls due, up to ``idle_rounds`` rounds in a row that send
        nothing (Slack is down: the next start sends the rest). ``deadline`` (the loop's
        clock): no waiting for a retry that falls due after it (a channel Slack holds back
        for longer than the stop may take). Returns how many calls went out."""
        sent = idle = 0
        loop = asyncio.get_running_loop()
        while idle < idle_rounds:
            went = await self.deliver()
            sent += went
            idle = 0 if went else idle + 1
            if not await self._repo.queued_calls():
                break
            due = self._wake.when() - loop.time() if self._wake is not None else 0.1
            wait = min(max(due, 0.0), LONGEST_RETRY_SECONDS)
            if deadline is not None and loop.time() + wait >= deadline:
                break
            await asyncio.sleep(wait)
        return sent

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
            # A claim older than the lease was abandoned (or its attempt dropped).
            stale = datetime.now(UTC) - timedelta(seconds=self.lease_seconds)
            queued = await self._repo.queued_calls()
            if self._failures:  # forget calls that left the queue (a burst queues hundreds)
                waiting = {c.id for c in queued}
                self._failures = {i: n for i, n in self._failures.items() if i in waiting}
            for call in queued:
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
                    self._failures.pop(call.id, None)
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

    def _fence(self, call: QueuedCall, claim: Claim) -> Fence:
        async def holds(attempt: int) -> bool:
            return await self._repo.call_held(call.id, attempt)

        return Fence(claim.attempt, claim.claimed_at + timedelta(seconds=self.lease_seconds),
                     holds, confirmed_at=claim.claimed_at)

    async def _send(self, call: QueuedCall, channel: str | None, claim: Claim) -> bool:
        """Make one call; True if it left the queue (sent, found sent, or refused for
        good)."""
        fence = self._fence(call, claim)
        once = self._once.get(call.purpose) if call.purpose else None
        metadata = effect_metadata(call) if call.method == "chat.postMessage" else None
        try:
            if metadata is not None and _may_be_out(claim):
                # The look and the post after it must both end within the claim.
                await fence.before_send(self._slack_timeout * REQUESTS_PER_ATTEMPT)
                found = await self._already_posted(call, metadata)
                if found is not None:
                    log.warning("Slack %s for request %s was posted by an attempt that did "
                                "not hear back; recorded it now", call.method, call.request_id)
                    await self._posted(call, once, *found)
                    return True
                # The look was awaited since the claim: the post reads the claim again.
                fence = replace(fence, confirmed_at=None)
            await fence.before_send(self._slack_timeout)
            if claim.earlier_attempts and self._metrics is not None:
                # Its client retries nothing: the outbox's own retries are the ones to count.
                self._metrics.slack_retries.labels(call.method).inc()
            args = dict(call.args) if metadata is None else {**call.args, "metadata": metadata}
            with log_context(request_id=call.request_id):
                answer = await self._client.api_call(call.method, json=args)
        except SendDropped as exc:
            # Nothing was sent: the claim lapses and the call is taken again (looked for
            # first, as an attempt that may have gone out) once the lease is over.
            log.warning("Slack %s for request %s held back past its claim; not sent (%s)",
                        call.method, call.request_id, exc)
            self._deliver_after(max((fence.lease_until - datetime.now(UTC)).total_seconds(),
                                    0.0) + FIRST_RETRY_SECONDS)
            return False
        except _LookFailed as exc:
            # Keep saying the call may be out, so the next attempt looks again.
            await self._fail(call, claim, f"looking: {exc.error}", exc.retry_after)
            return False
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if exc.response.status_code == 429 or error == "ratelimited":
                self._hold(channel, exc.response.headers)
                await self._repo.call_failed(call.id, error, claim.attempt)
                return False
            if error in PERMANENT:
                await self._refused(call, error)
                return True
            await self._fail(call, claim, error)  # a 5xx may come after the post was made
            return False
        except Exception as exc:  # connection trouble, a timeout: the post may be out
            await self._fail(call, claim, type(exc).__name__)
            return False
        await self._posted(call, once, str(answer.get("channel")), str(answer.get("ts")))
        return True

    async def _posted(self, call: QueuedCall, once: PostOnce | None, channel: str,
                      ts: str) -> None:
        if once is None:
            await self._repo.call_done(call.id)
            return
        await once.record_posted(call.id, call.request_id, channel, ts)
        self._deliver_after(0.0)  # what follows was queued with the record

    async def _already_posted(self, call: QueuedCall, metadata: Mapping[str, Any]
                              ) -> tuple[str, str] | None:
        """(channel, ts) of the message an earlier attempt posted for ``call``, looked for
        where it would be: its thread (``conversations.replies``), else its channel or the
        DM it went to (``conversations.history``). None if it is not there, or if it can't
        be looked for here at all (then posting again is all there is). ``_LookFailed`` when
        the look failed for now."""
        target = str(call.args.get("channel") or "")
        thread_ts = call.args.get("thread_ts")
        try:
            channel = await self._conversation(target)
            if thread_ts:
                answer = await self._client.conversations_replies(
                    channel=channel, ts=str(thread_ts), limit=LOOKBACK_MESSAGES,
                    include_all_metadata=True)
            else:
                answer = await self._client.conversations_history(
                    channel=channel, limit=LOOKBACK_MESSAGES, include_all_metadata=True)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            if error in CANT_LOOK:
                log.warning("Could not look for the earlier post of Slack %s for request %s "
                            "in %s (%s); posting it again", call.method, call.request_id,
                            target, error)
                return None
            raise _LookFailed(error, _retry_after(exc.response.headers)
                              if exc.response.status_code == 429 else None) from exc
        except Exception as exc:
            raise _LookFailed(type(exc).__name__) from exc
        own = call.args.get("metadata") if call.purpose in self._once else None
        for message in answer.get("messages") or []:
            if _names(message.get("metadata"), metadata, own):
                return channel, str(message.get("ts"))
        return None

    async def _conversation(self, target: str) -> str:
        """The conversation a post to ``target`` lands in: a user id posts to the bot's DM
        with them, opened (it is there already, or the post would not be) to read it."""
        if not target.startswith(("U", "W")):
            return target
        dm = self._dms.get(target)
        if dm is None:
            opened = await self._client.conversations_open(users=target)
            dm = self._dms[target] = str((opened.get("channel") or {}).get("id") or "")
        return dm

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
        pace = self._pace(channel)
        pace.hold_until = max(pace.hold_until, self._clock() + _retry_after(headers))

    def _deliver_after(self, seconds: float) -> None:
        """One timer for the soonest channel to open again (or retry to fall due)."""
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

    async def _fail(self, call: QueuedCall, claim: Claim, error: str,
                    retry_after: float | None = None) -> None:
        """A passing failure: the claim is let go and the call tried again soon (the slack
        client retries nothing itself), later after each failure in a row."""
        log.warning("Slack %s for request %s failed (%s); will retry", call.method,
                    call.request_id, error)
        await self._repo.call_failed(call.id, error, claim.attempt)
        failures = self._failures[call.id] = self._failures.get(call.id, 0) + 1
        delay = min(FIRST_RETRY_SECONDS * 2 ** (failures - 1), LONGEST_RETRY_SECONDS)
        self._deliver_after(max(delay, retry_after or 0.0))


def _retry_after(headers: Any) -> float:
    try:
        return float((headers or {}).get("Retry-After") or DEFAULT_RETRY_AFTER)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def _may_be_out(claim: Claim) -> bool:
    """Whether an earlier attempt may have posted the call: its sender died mid-call or
    dropped its attempt (ABANDONED: the claim lapsed), or it failed in a way that doesn't
    say (a lost connection, a timeout, a server error, a failed look). A 429 says no."""
    return claim.earlier_attempts > 0 and \
        claim.last_error not in (None, "ratelimited", "429")


def effect_metadata(call: QueuedCall) -> dict[str, Any] | None:
    """The Slack message metadata a post carries to be found again: the call's own
    metadata if the caller set it, with the effect (the call's id) added to its payload,
    else ``EFFECT_EVENT`` naming the effect. None when the caller's metadata is not Slack's
    shape: it is sent untouched (and the post can't be looked for)."""
    # ``effect_key``, not ``request_id``: that names the request an approval message is for,
    # and a reader looking for approval messages by it must not find every other post too.
    # With the id, it makes the mark unique across deployments sharing a channel.
    mark: dict[str, Any] = {"effect_id": call.id, "effect_key": call.request_id}
    own = call.args.get("metadata")
    if own is None:
        return {"event_type": EFFECT_EVENT, "event_payload": mark}
    if isinstance(own, Mapping) and isinstance(own.get("event_payload"), Mapping):
        return {**own, "event_payload": {**own["event_payload"], **mark}}
    return None


def _names(found: Any, metadata: Mapping[str, Any], own: Any) -> bool:
    """Whether a message's metadata ``found`` names the call that posts with ``metadata``
    (its effect id and key); or, for a message posted once per key (``own``: the
    caller's metadata), is that message's own metadata, as posted before effects were
    named."""
    if not isinstance(found, Mapping) or not isinstance(found.get("event_payload"), Mapping):
        return False
    payload, mine = found["event_payload"], metadata["event_payload"]
    if str(payload.get("effect_id")) == str(mine["effect_id"]) and \
            payload.get("effect_key") == mine["effect_key"]:
        return True
    if not isinstance(own, Mapping) or not isinstance(own.get("event_payload"), Mapping):
        return False
    return found.get("event_type") == own.get("event_type") and \
        all(payload.get(k) == v for k, v in own["event_payload"].items())


def approval_message_metadata(request_id: str, metadata: Any) -> dict[str, Any]:
    """The metadata of a request's approval message: the rendered ``metadata`` (the line
    order's payload, ``blocks.approval.metadata``) under ``APPROVAL_EVENT``, naming ``request_id``
    whatever the render said, as the outbox and the click guard find the message by it."""
    payload = metadata.get("event_payload") if isinstance(metadata, Mapping) else None
    return {"event_type": APPROVAL_EVENT,
            "event_payload": {**(payload if isinstance(payload, Mapping) else {}),
                              "request_id": request_id}}


def approval_metadata(approval_id: str) -> dict[str, Any]:
    """Slack message metadata naming what a MobProc approval DM is for (the approval row,
    ``bot.mobproc_approvals.service``): ``LEGACY_APPROVAL_EVENT``, as approval messages carried
    before ``APPROVAL_EVENT``. A DM relays MobProc's own approval queue, not a line order of
    ours, so it stays out of the line order's event type (and its schema)."""
    return {"event_type": LEGACY_APPROVAL_EVENT, "event_payload": {"request_id": approval_id}}
