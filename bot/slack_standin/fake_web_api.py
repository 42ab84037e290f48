"""A local Slack Web API: records every call and refuses what real Slack refuses.

Point slack-sdk's ``AsyncWebClient(base_url=api.base_url)`` at it. Messages, threads and
views are kept as Slack would keep them, so tests and the demo can read what people see.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from bot.slack.scopes import BOT_SCOPES
from bot.slack_standin.block_kit_limits import validate_message, validate_view
from bot.slack_standin.polling import eventually

T = TypeVar("T")


@dataclass
class FakeUser:
    id: str
    name: str
    real_name: str
    email: str | None
    is_bot: bool = False
    deleted: bool = False  # deactivated: still answered by users.info, flagged


@dataclass
class FakeChannel:
    id: str
    name: str
    bot_is_member: bool = True
    members: list[str] = field(default_factory=list)
    private: bool = False


# The scopes each method needs (any one of them), as Slack's method pages list them; a token
# without one is refused with ``missing_scope``. Conversations need the read scope of their
# kind (public or private channel), checked per call.
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "users.info": ("users:read",),
    "users.lookupByEmail": ("users:read.email",),
    "usergroups.users.list": ("usergroups:read",),
    "conversations.open": ("im:write",),
}


@dataclass
class RecordedCall:
    method: str
    args: dict[str, Any]
    ok: bool
    error: str | None
    response: dict[str, Any]


class SlackError(Exception):
    def __init__(self, error: str, status: int = 200, **extra: Any) -> None:
        super().__init__(error)
        self.error, self.status, self.extra = error, status, extra


@dataclass
class _Failure:
    """A fault injected into the next ``times`` calls of ``method`` (to ``channel`` only, if
    given). Before the call (``accepted`` False): Slack refuses it, nothing happens. After
    it (``accepted``): Slack does the call, then its answer is an error (``status``), is
    lost with the connection (``drop``), or comes ``late`` seconds late."""

    method: str
    error: str
    status: int
    retry_after: int | None
    times: int
    accepted: bool = False
    drop: bool = False
    late: float = 0.0
    channel: str | None = None

    def matches(self, method: str, args: dict[str, Any]) -> bool:
        return self.method == method and (self.channel is None
                                          or args.get("channel") == self.channel)


@dataclass
class RateLimits:
    """Slack's own limits, for tests and benches that opt in (``rate_limits=RateLimits()``).

    chat.postMessage: about one message per second per channel, short bursts allowed
    (Slack's "Special" tier). views.publish: a per-user limit on top of its Tier 4; Slack
    does not publish the per-user figure, so 10 a minute with a burst of 5 is an assumption
    on the strict side. Over a limit Slack answers HTTP 429 ``ratelimited`` with
    ``Retry-After`` in whole seconds.
    """

    post_per_second: float = 1.0
    post_burst: int = 3
    publish_per_minute: float = 10.0
    publish_burst: int = 5


class _Bucket:
    """A token bucket: ``rate`` tokens a second, at most ``capacity`` saved up."""

    def __init__(self, rate: float, capacity: int, now: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.at = float(capacity), now

    def take(self, now: float) -> float:
        """Take a token: 0 if there was one, else the seconds until there will be."""
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


DEFAULT_USERS = [
    FakeUser("URequester", "riley", "Riley Requester", "riley@acme.com"),
    FakeUser("UAPPROVER", "avery", "Avery Approver", "avery@acme.com"),
    FakeUser("UAPPROVER2", "sam", "Sam Supervisor", "sam@acme.com"),
    FakeUser("UOTHER", "olive", "Olive Other", "olive@acme.com"),
    FakeUser("UNOEMAIL", "nomail", "Noel Nomail", None),
    FakeUser("UBOT", "mobproc-bot", "mobproc-bot", None, is_bot=True),
]
DEFAULT_CHANNELS = [
    FakeChannel("CHELPDESK", "helpdesk"),
    FakeChannel("CAPPROVALS", "approvals"),
    FakeChannel("CGENERAL", "general"),
    FakeChannel("CNOTMEMBER", "random", bot_is_member=False),
]


class FakeSlackWebAPI:
    def __init__(self, bot_token: str = "xoxb-test-token", *, team_id: str = "T0TEST",
                 bot_user_id: str = "UBOT", users: list[FakeUser] | None = None,
                 usergroups: dict[str, list[str]] | None = None,
                 channels: list[FakeChannel] | None = None, trigger_ttl_seconds: float = 3.0,
                 app_token: str = "xapp-1-test-app-token",
                 clock: Callable[[], float] = time.monotonic,
                 rate_limits: RateLimits | None = None,
                 scopes: list[str] | None = None) -> None:
        self.bot_token = bot_token
        # The bot token's scopes: by default those the manifest asks for, as when the app is
        # installed from it.
        self.scopes = list(scopes if scopes is not None else BOT_SCOPES)
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.users = {u.id: u for u in (users or DEFAULT_USERS)}
        self.usergroups = usergroups if usergroups is not None else {
            "SAPPROVERS": ["UAPPROVER2"]}
        self.channels = {c.id: c for c in (channels or DEFAULT_CHANNELS)}
        self.trigger_ttl_seconds = trigger_ttl_seconds
        self.app_token = app_token
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.clock = clock
        self.calls: list[RecordedCall] = []
        # Told of every recorded call as it happens (benchmarks wait on these, not by polling).
        self.listeners: list[Callable[[RecordedCall], None]] = []
        # The client address and port of every connection a call came over (reuse shows).
        self.connections: set[tuple[str, int]] = set()
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self._triggers: dict[str, float] = {}
        self._failures: list[_Failure] = []
        # Off unless asked for: most tests are about other things than Slack's limits.
        self.rate_limits = rate_limits
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.getPermalink": self._permalink,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._lookup_by_email,
            "usergroups.users.list": self._usergroup_users,
            "conversations.info": self._conversation_info,
            "conversations.members": self._conversation_members,
            "conversations.open": self._conversation_open,
            "conversations.history": self._conversation_history,
            "conversations.replies": self._conversation_replies,
            "functions.completeSuccess": self._complete_success,
            "functions.completeError": self._complete_error,
        }
        # Workflow Builder step runs started (``start_function``): execution id → state
        # ("running", "completed", "failed"), and the tokens Slack gave each run.
        self.function_executions: dict[str, str] = {}
        self.function_tokens: set[str] = set()

    # --- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/socket", self._socket)
        app.router.add_route("*", "/api/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/api/"

    async def stop(self) -> None:
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- Socket Mode ---------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "connection_info": {"app_id": "AFAKE"}})
        self._sockets.append(ws)
        try:
            async for message in ws:
                if message.type != web.WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                future = self._acks.pop(str(data.get("envelope_id")), None)
                if future is not None and not future.done():
                    future.set_result(data)
        finally:
            if ws in self._sockets:
                self._sockets.remove(ws)
        return ws

    @property
    def socket_connected(self) -> bool:
        return any(not ws.closed for ws in self._sockets)

    async def socket_send(self, envelope_type: str, payload: dict[str, Any],
                          within: float = 10.0) -> dict[str, Any]:
        """Deliver one envelope over Socket Mode; returns the app's acknowledgement."""
        ws = next(ws for ws in self._sockets if not ws.closed)
        envelope_id = secrets.token_hex(8)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
        await ws.send_json({"envelope_id": envelope_id, "type": envelope_type,
                            "payload": payload, "accepts_response_payload": True,
                            "retry_attempt": 0, "retry_reason": ""})
        return await asyncio.wait_for(future, within)

    # --- what tests use ------------------------------------------------------------

    def issue_trigger_id(self) -> str:
        trigger = f"{next(self._ts)}.{secrets.randbelow(10**9)}.{secrets.token_hex(8)}"
        self._triggers[trigger] = self.clock()
        return trigger

    def calls_to(self, method: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.method == method]

    def thread_replies(self, channel: str, ts: str) -> list[dict[str, Any]]:
        return [m for (c, _), m in sorted(self.messages.items(), key=lambda kv: kv[0][1])
                if c == channel and m.get("thread_ts") == ts and m.get("ts") != ts]

    def add_user_message(self, user_id: str, channel: str, text: str, *,
                         thread_ts: str | None = None) -> str:
        """A message a person posted (not through the API), so the bot can reply to it."""
        ts = self._next_ts()
        message = {"type": "message", "user": user_id, "ts": ts, "channel": channel,
                   "text": text}
        if thread_ts:
            message["thread_ts"] = thread_ts
        self.messages[(channel, ts)] = message
        return ts

    def fail_next(self, method: str, *, error: str = "ratelimited", status: int = 429,
                  retry_after: int | None = 1, times: int = 1, after_accepting: bool = False,
                  channel: str | None = None) -> None:
        """The next ``times`` calls of ``method`` (to ``channel``) answer ``error`` with
        HTTP ``status``: refused, or with ``after_accepting`` done first (as Slack's 5xx
        after it posted)."""
        self._failures.append(_Failure(method, error, status, retry_after, times,
                                       accepted=after_accepting, channel=channel))

    def drop_next(self, method: str, *, times: int = 1, channel: str | None = None) -> None:
        """The next ``times`` calls of ``method`` (to ``channel``) are done, then their
        connection drops before the answer (the client sees a disconnect)."""
        self._failures.append(_Failure(method, "", 0, None, times, accepted=True, drop=True,
                                       channel=channel))

    def answer_late(self, method: str, seconds: float, *, times: int = 1,
                    channel: str | None = None) -> None:
        """The next ``times`` calls of ``method`` (to ``channel``) are done at once and
        answered ``seconds`` later (a client timing out first never hears of them)."""
        self._failures.append(_Failure(method, "", 200, None, times, accepted=True,
                                       late=seconds, channel=channel))

    def clear_failures(self) -> None:
        """Slack is back: no more injected failures."""
        self._failures.clear()

    async def wait_for(self, predicate: Callable[[], T | None], within: float = 10.0) -> T:
        """``eventually``, failing with the last calls listed to show what did happen."""
        try:
            return await eventually(predicate, within)
        except AssertionError:
            recent = "\n".join(f"  {c.method} ok={c.ok} {c.error or ''}"
                               for c in self.calls[-15:])
            raise AssertionError(f"condition not met within {within}s; recent calls:\n"
                                 f"{recent}") from None

    def _record(self, call: RecordedCall) -> None:
        self.calls.append(call)
        for listener in self.listeners:
            listener(call)

    # --- HTTP -------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            self.connections.add((str(peer[0]), int(peer[1])))
        args = await _decode(request)
        failure = next((f for f in self._failures if f.matches(method, args)), None)
        if failure is not None:
            failure.times -= 1
            if failure.times <= 0:
                self._failures.remove(failure)
        if failure is not None and not failure.accepted:
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
            body = {"ok": False, "error": failure.error}
            self._record(RecordedCall(method, args, False, failure.error, body))
            return web.json_response(body, status=failure.status, headers=headers)
        answer = self._answer(request, method, args)
        if failure is None:
            return answer
        if failure.drop:
            if request.transport is not None:
                request.transport.abort()
            return answer  # written to nobody: the connection is gone
        if failure.late:
            await _until_due_or_gone(request, failure.late)
            return answer
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else {}
        return web.json_response({"ok": False, "error": failure.error}, status=failure.status,
                                 headers=headers)

    def _answer(self, request: web.Request, method: str, args: dict[str, Any]
                ) -> web.Response:
        """Do the call as Slack would; its answer."""
        if (retry_after := self._over_limit(method, args)) is not None:
            body = {"ok": False, "error": "ratelimited"}
            self._record(RecordedCall(method, args, False, "ratelimited", body))
            return web.json_response(body, status=429,
                                     headers={"Retry-After": str(retry_after)})
        auth = request.headers.get("Authorization", "")
        try:
            if method == "apps.connections.open":
                # Socket Mode: opened with the app-level token, not the bot token.
                if auth != f"Bearer {self.app_token}":
                    raise SlackError("invalid_auth")
                response = {"ok": True, "url": self.base_url.replace(
                    "http://", "ws://").replace("/api/", "/socket")}
                self._record(RecordedCall(method, args, True, None, response))
                return web.json_response(response)
            if auth != f"Bearer {self.bot_token}" and args.get("token") != self.bot_token \
                    and auth.removeprefix("Bearer ") not in self.function_tokens:
                raise SlackError("invalid_auth")
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            self._require(*METHOD_SCOPES.get(method, ()))
            response = {"ok": True, **handler(args)}
        except SlackError as exc:
            response = {"ok": False, "error": exc.error, **exc.extra}
            self._record(RecordedCall(method, args, False, exc.error, response))
            return web.json_response(response, status=exc.status, headers=self._scope_header(
                exc.error))
        self._record(RecordedCall(method, args, True, None, response))
        return web.json_response(response, headers=self._scope_header(None))

    def _scope_header(self, error: str | None) -> dict[str, str]:
        # Slack tells a token's scopes on every call made with it.
        return {} if error == "invalid_auth" else {"x-oauth-scopes": ",".join(self.scopes)}

    def _require(self, *needed: str) -> None:
        if needed and not set(needed) & set(self.scopes):
            raise SlackError("missing_scope", needed=",".join(needed),
                             provided=",".join(self.scopes))

    def _over_limit(self, method: str, args: dict[str, Any]) -> int | None:
        """With rate limits on: None if the call may go, else the Retry-After seconds."""
        limits = self.rate_limits
        if limits is None:
            return None
        if method == "chat.postMessage":
            key, rate, burst = str(args.get("channel")), limits.post_per_second, limits.post_burst
        elif method == "views.publish":
            key, rate, burst = (str(args.get("user_id")), limits.publish_per_minute / 60,
                                limits.publish_burst)
        else:
            return None
        now = self.clock()
        bucket = self._buckets.setdefault((method, key), _Bucket(rate, burst, now))
        wait = bucket.take(now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def refused_for_rate(self, method: str) -> int:
        """How many calls to ``method`` were answered 429."""
        return sum(1 for c in self.calls_to(method) if c.error == "ratelimited")

    # --- methods ---------------------------------------------------------------------------

    def _auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://acme.fake.slack.test/", "team": "Acme", "user": "mobproc-bot",
                "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": "BBOT",
                "is_enterprise_install": False}

    def _channel_for_posting(self, channel: str | None) -> str:
        if not channel:
            raise SlackError("channel_not_found")
        if channel in self.users:  # posting to a user id goes to the app's DM with them
            return "D" + channel
        if channel.startswith("D"):
            return channel
        found = self.channels.get(channel)
        if found is None:
            raise SlackError("channel_not_found")
        if not found.bot_is_member:
            raise SlackError("not_in_channel")
        return channel

    def _check_message(self, args: dict[str, Any]) -> None:
        if not args.get("text") and not args.get("blocks"):
            raise SlackError("no_text")
        if "metadata" in args:
            _check_metadata(args["metadata"])
        problems = validate_message(args)
        if problems:
            raise SlackError("invalid_blocks", errors=problems)

    def _next_ts(self) -> str:
        return f"{1700000000 + next(self._ts)}.{next(self._ts):06d}"

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for_posting(args.get("channel"))
        self._check_message(args)
        thread_ts = args.get("thread_ts")
        if thread_ts and (channel, thread_ts) not in self.messages:
            raise SlackError("thread_not_found")
        ts = self._next_ts()
        message = {"type": "message", "user": self.bot_user_id, "ts": ts, "channel": channel,
                   "text": args.get("text", ""), "blocks": args.get("blocks") or []}
        if thread_ts:
            message["thread_ts"] = thread_ts
        if isinstance(args.get("metadata"), dict):
            message["metadata"] = args["metadata"]
        self.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": message}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (args.get("channel", ""), args.get("ts", ""))
        if key not in self.messages:
            raise SlackError("message_not_found")
        self._check_message(args)
        message = self.messages[key]
        message.update({"text": args.get("text", ""), "blocks": args.get("blocks") or [],
                        "edited": {"user": self.bot_user_id}})
        # As Slack: an update's metadata replaces the message's; without any it is kept.
        if isinstance(args.get("metadata"), dict):
            message["metadata"] = args["metadata"]
        return {"channel": key[0], "ts": key[1], "text": message["text"], "message": message}

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel_for_posting(args.get("channel"))
        if args.get("user") not in self.users:
            raise SlackError("user_not_found")
        self._check_message(args)
        return {"message_ts": self._next_ts(), "channel": channel}

    def _permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (args.get("channel", ""), args.get("message_ts", ""))
        if key not in self.messages:
            raise SlackError("message_not_found")
        return {"channel": key[0],
                "permalink": f"https://acme.fake.slack.test/archives/{key[0]}/p"
                             f"{key[1].replace('.', '')}"}

    def _view_from(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except json.JSONDecodeError:
                raise SlackError("invalid_arguments") from None
        if not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        problems = validate_view(view)
        if problems:
            raise SlackError("invalid_arguments",
                             response_metadata={"messages": [f"[ERROR] {p}" for p in problems]})
        return view

    def _store_view(self, view: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or f"V{secrets.token_hex(5).upper()}"
        stored = {**view, "id": view_id, "hash": secrets.token_hex(6),
                  "team_id": self.team_id, "app_id": "AFAKE", "bot_id": "BBOT",
                  "private_metadata": view.get("private_metadata", ""),
                  "callback_id": view.get("callback_id", ""),
                  "state": {"values": {}}}
        self.views[view_id] = stored
        return stored

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = args.get("trigger_id")
        issued = self._triggers.pop(trigger, None) if isinstance(trigger, str) else None
        if issued is None:
            raise SlackError("invalid_trigger_id")
        if self.clock() - issued > self.trigger_ttl_seconds:
            raise SlackError("expired_trigger_id")
        return {"view": self._store_view(self._view_from(args))}

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next((k for k, v in self.views.items()
                            if v.get("external_id") == args["external_id"]), None)
        if not view_id or view_id not in self.views:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != self.views[view_id]["hash"]:
            raise SlackError("hash_conflict")
        return {"view": self._store_view(self._view_from(args), view_id)}

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("user_id") not in self.users:
            raise SlackError("user_not_found")
        view = self._view_from(args)
        existing = next((k for k, v in self.views.items() if v.get("type") == "home"
                         and v.get("user_id") == args["user_id"]), None)
        stored = self._store_view({**view, "user_id": args["user_id"]}, existing)
        return {"view": stored}

    def _user(self, user_id: str | None) -> FakeUser:
        user = self.users.get(user_id or "")
        if user is None:
            raise SlackError("user_not_found")
        return user

    def _user_json(self, user: FakeUser) -> dict[str, Any]:
        profile: dict[str, Any] = {"real_name": user.real_name, "display_name": user.name}
        if user.email:
            profile["email"] = user.email
        return {"id": user.id, "team_id": self.team_id, "name": user.name,
                "real_name": user.real_name, "is_bot": user.is_bot, "deleted": user.deleted,
                "tz": "America/New_York", "profile": profile}

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"user": self._user_json(self._user(args.get("user")))}

    def _lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        user = next((u for u in self.users.values() if u.email and u.email == args.get("email")),
                    None)
        if user is None:
            raise SlackError("users_not_found")
        return {"user": self._user_json(user)}

    def _usergroup_users(self, args: dict[str, Any]) -> dict[str, Any]:
        group = args.get("usergroup")
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.usergroups[group])}

    def _channel(self, channel_id: str | None) -> FakeChannel:
        found = self.channels.get(channel_id or "")
        if found is None:
            raise SlackError("channel_not_found")
        return found

    def _readable_channel(self, channel_id: str | None) -> FakeChannel:
        c = self._channel(channel_id)
        self._require("groups:read" if c.private else "channels:read")
        if c.private and not c.bot_is_member:
            raise SlackError("channel_not_found")  # a private channel hides from outsiders
        return c

    def _conversation_info(self, args: dict[str, Any]) -> dict[str, Any]:
        c = self._readable_channel(args.get("channel"))
        return {"channel": {"id": c.id, "name": c.name, "is_private": c.private,
                            "is_member": c.bot_is_member}}

    def _conversation_members(self, args: dict[str, Any]) -> dict[str, Any]:
        c = self._readable_channel(args.get("channel"))
        members = c.members or [u for u in self.users if not self.users[u].is_bot]
        return {"members": members + ([self.bot_user_id] if c.bot_is_member else [])}

    def _readable_history(self, channel_id: str | None) -> str:
        """A conversation whose messages the bot may read: a channel it is in (with the
        history scope of its kind), or its DM with a user (``im:history``)."""
        if channel_id and channel_id.startswith("D") and channel_id[1:] in self.users:
            self._require("im:history")
            return channel_id
        c = self._channel(channel_id)
        self._require("groups:history" if c.private else "channels:history")
        if not c.bot_is_member:
            raise SlackError("not_in_channel")
        return c.id

    def _conversation_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """A conversation's top-level messages, newest first; with ``include_all_metadata``,
        each message's metadata as it was posted."""
        channel = self._readable_history(args.get("channel"))
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 100)
        found = sorted((m for (ch, ts), m in self.messages.items()
                        if ch == channel and float(ts) > oldest
                        and m.get("thread_ts") in (None, ts)),
                       key=lambda m: float(m["ts"]), reverse=True)
        return {"messages": _shown(found[:limit], args), "has_more": len(found) > limit}

    def _conversation_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread: its parent, then its replies, oldest first (``oldest`` and ``limit`` as
        Slack takes them); with ``include_all_metadata``, each message's metadata. ``ts``
        may be the parent's or any reply's."""
        channel = self._readable_history(args.get("channel"))
        ts = str(args.get("ts") or "")
        if not ts:
            raise SlackError("invalid_arguments")
        message = self.messages.get((channel, ts))
        if message is None:
            raise SlackError("thread_not_found")
        # ``ts`` may be the parent's or any reply's, as in Slack.
        ts = str(message.get("thread_ts") or message["ts"])
        oldest = float(args.get("oldest") or 0)
        limit = int(args.get("limit") or 1000)
        found = sorted((m for (ch, m_ts), m in self.messages.items()
                        if ch == channel and float(m_ts) >= oldest
                        and (m_ts == ts or m.get("thread_ts") == ts)),
                       key=lambda m: float(m["ts"]))
        return {"messages": _shown(found[:limit], args), "has_more": len(found) > limit}

    def start_function(self) -> tuple[str, str]:
        """A new step run: (function_execution_id, its bot_access_token), as Slack makes
        them when a workflow reaches one of the app's steps."""
        execution_id = f"Fx{secrets.token_hex(5).upper()}"
        token = f"xwfp-{secrets.token_hex(8)}"
        self.function_executions[execution_id] = "running"
        self.function_tokens.add(token)
        return execution_id, token

    def _finish_function(self, args: dict[str, Any], state: str) -> None:
        execution_id = str(args.get("function_execution_id") or "")
        if not execution_id:
            raise SlackError("invalid_arguments")
        if execution_id not in self.function_executions:
            raise SlackError("function_execution_not_found")
        if self.function_executions[execution_id] != "running":
            raise SlackError("execution_not_in_running_state")
        self.function_executions[execution_id] = state

    def _complete_success(self, args: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(args.get("outputs"), dict):
            raise SlackError("invalid_arguments")
        self._finish_function(args, "completed")
        return {}

    def _complete_error(self, args: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(args.get("error"), str) or not args["error"]:
            raise SlackError("invalid_arguments")
        self._finish_function(args, "failed")
        return {}

    def completions(self, execution_id: str) -> list[RecordedCall]:
        """Every attempt to complete one step run (refused ones too)."""
        return [c for c in self.calls
                if c.method in ("functions.completeSuccess", "functions.completeError")
                and c.args.get("function_execution_id") == execution_id]

    def _conversation_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users") or "").split(",")
        user = self._user(users[0] if users else None)
        return {"channel": {"id": "D" + user.id}}


async def _until_due_or_gone(request: web.Request, seconds: float) -> None:
    """Wait ``seconds``, or until nobody waits for the answer any more (the client gave up
    or died): a late answer holds no connection, and no shutdown, longer than it must."""
    steps = max(1, math.ceil(seconds / 0.05))
    for _ in range(steps):
        if request.transport is None or request.transport.is_closing():
            return
        await asyncio.sleep(seconds / steps)


def _shown(messages: list[dict[str, Any]], args: dict[str, Any]) -> list[dict[str, Any]]:
    """Messages as a read returns them: metadata only with ``include_all_metadata``."""
    if str(args.get("include_all_metadata")).lower() in ("true", "1"):
        return messages
    return [{k: v for k, v in m.items() if k != "metadata"} for m in messages]


def _check_metadata(metadata: Any) -> None:
    """Slack's message metadata: an ``event_type`` string and an ``event_payload`` object
    of strings, numbers, booleans (or objects and lists of objects of them)."""
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str) \
            or not metadata["event_type"] or not isinstance(metadata.get("event_payload"),
                                                               dict):
        raise SlackError("invalid_metadata_format")
    scalar = (str, int, float, bool)

    def flat(value: Any) -> bool:
        return isinstance(value, dict) and all(isinstance(v, scalar) for v in value.values())

    for value in metadata["event_payload"].values():
        if not (isinstance(value, scalar) or flat(value)
                or (isinstance(value, list) and all(flat(v) for v in value))):
            raise SlackError("invalid_metadata_schema")


async def _decode(request: web.Request) -> dict[str, Any]:
    """Query, form or JSON arguments, as slack-sdk sends them; JSON-in-form decoded."""
    args: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await request.json()
            if isinstance(body, dict):
                args.update(body)
        else:
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
    for key in ("blocks", "view", "attachments", "metadata", "outputs"):
        if isinstance(args.get(key), str):
            try:
                args[key] = json.loads(args[key])
            except json.JSONDecodeError:
                pass
    return args
