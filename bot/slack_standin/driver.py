"""Sending the bot requests exactly as Slack does: signed, form-encoded, ``payload=`` JSON."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.slack_standin.fake_web_api import FakeSlackWebAPI

FORM = "application/x-www-form-urlencoded"


def sign(signing_secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature headers for ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def _user(api: FakeSlackWebAPI, user_id: str, team_id: str) -> dict[str, Any]:
    user = api.users.get(user_id)
    name = user.name if user else user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _state_entry(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element.get("type")
    entry: dict[str, Any] = {"type": kind}
    if kind == "datepicker":
        entry["selected_date"] = value
    elif kind in ("static_select", "external_select", "radio_buttons"):
        if value is None:
            entry["selected_option"] = None
        else:
            options = element.get("options") or [o for g in element.get("option_groups", [])
                                                  for o in g.get("options", [])]
            option = next((o for o in options if o.get("value") == value), None)
            entry["selected_option"] = option or {
                "text": {"type": "plain_text", "text": str(value)}, "value": value}
    elif kind == "checkboxes":
        chosen = set(value or [])
        entry["selected_options"] = [o for o in element.get("options", [])
                                     if o.get("value") in chosen]
    else:
        entry["value"] = value
    return entry


def view_state(view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """``view.state.values`` as Slack builds it: every input block, entered or empty."""
    state: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        element = block["element"]
        state[block["block_id"]] = {
            element.get("action_id", "value"): _state_entry(element,
                                                            values.get(block["block_id"]))}
    return state


class SlackDriver:
    def __init__(self, bot_url: str, signing_secret: str, api: FakeSlackWebAPI, *,
                 team_id: str = "T0TEST", max_connections: int = 100) -> None:
        """``max_connections``: Slack opens as many as it needs; a burst needs more than
        httpx's default pool, or requests would queue here and look slow."""
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.api = api
        self.team_id = team_id
        self._http = httpx.AsyncClient(timeout=10.0, limits=httpx.Limits(
            max_connections=max_connections, max_keepalive_connections=max_connections))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def post_form(self, body: bytes, *, secret: str | None = None,
                        timestamp: int | None = None, extra: dict[str, str] | None = None
                        ) -> httpx.Response:
        """POST a form-encoded body signed as Slack would; ``secret`` and ``timestamp``
        let a test forge or age the signature."""
        signature = sign(self.signing_secret if secret is None else secret, body, timestamp)
        headers = {"Content-Type": FORM, **signature, **(extra or {})}
        return await self._http.post(self.bot_url, content=body, headers=headers)

    async def _interaction(self, payload: dict[str, Any], *,
                           extra: dict[str, str] | None = None) -> httpx.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return await self.post_form(body, extra=extra)

    async def slash_command(self, user_id: str, command: str, text: str,
                            channel_id: str = "CGENERAL") -> httpx.Response:
        channel = self.api.channels.get(channel_id)
        user = _user(self.api, user_id, self.team_id)
        form = {
            "token": "legacy-verification-token", "team_id": self.team_id,
            "team_domain": "acme", "channel_id": channel_id,
            "channel_name": channel.name if channel else "directmessage",
            "user_id": user_id, "user_name": user["name"], "command": command, "text": text,
            "api_app_id": "AFAKE", "is_enterprise_install": "false",
            "response_url": f"{self.api.base_url}../response/{secrets.token_hex(6)}",
            "trigger_id": self.api.issue_trigger_id(),
        }
        return await self.post_form(urlencode(form).encode())

    async def submit_view(self, user_id: str, view: dict[str, Any], values: dict[str, Any]
                          ) -> httpx.Response:
        submitted = {**view, "state": {"values": view_state(view, values)}}
        return await self._interaction({
            "type": "view_submission", "team": {"id": self.team_id, "domain": "acme"},
            "user": _user(self.api, user_id, self.team_id), "api_app_id": "AFAKE",
            "token": "legacy-verification-token", "trigger_id": self.api.issue_trigger_id(),
            "view": submitted, "response_urls": [], "is_enterprise_install": False,
        })

    def _button(self, blocks: list[dict[str, Any]], action_id: str
                ) -> tuple[str | None, dict[str, Any] | None]:
        for block in blocks:
            for element in [*block.get("elements", []), block.get("accessory") or {}]:
                if element.get("action_id") == action_id:
                    return block.get("block_id"), element
        return None, None

    async def click_button(self, user_id: str, *, channel_id: str, message_ts: str,
                           action_id: str, value: str | None = None,
                           block_id: str | None = None, retry_num: int | None = None
                           ) -> httpx.Response:
        message = self.api.messages.get((channel_id, message_ts), {"ts": message_ts,
                                                                    "blocks": []})
        found_block, button = self._button(message.get("blocks", []), action_id)
        action = {
            "type": "button", "action_id": action_id, "block_id": block_id or found_block or "b",
            "value": value if value is not None else (button or {}).get("value"),
            "text": (button or {}).get("text", {"type": "plain_text", "text": action_id}),
            "action_ts": f"{time.time():.6f}",
        }
        extra = None
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return await self._interaction({
            "type": "block_actions", "team": {"id": self.team_id, "domain": "acme"},
            "user": _user(self.api, user_id, self.team_id), "api_app_id": "AFAKE",
            "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id,
                          "is_ephemeral": False},
            "trigger_id": self.api.issue_trigger_id(),
            "channel": {"id": channel_id, "name": channel_id.lower()},
            "message": message,
            "response_url": f"{self.api.base_url}../response/{secrets.token_hex(6)}",
            "actions": [action],
        }, extra=extra)

    async def click_view_button(self, user_id: str, view: dict[str, Any], action_id: str,
                                value: str | None = None) -> httpx.Response:
        block_id, button = self._button(view.get("blocks", []), action_id)
        return await self._interaction({
            "type": "block_actions", "team": {"id": self.team_id, "domain": "acme"},
            "user": _user(self.api, user_id, self.team_id), "api_app_id": "AFAKE",
            "token": "legacy-verification-token",
            "container": {"type": "view", "view_id": view.get("id")},
            "trigger_id": self.api.issue_trigger_id(), "view": view,
            "actions": [{"type": "button", "action_id": action_id, "block_id": block_id or "b",
                         "value": value if value is not None else (button or {}).get("value"),
                         "action_ts": f"{time.time():.6f}"}],
        })

    async def event(self, event: dict[str, Any], *, retry_num: int | None = None
                    ) -> httpx.Response:
        """An Events API callback, JSON and signed, as Slack sends it."""
        body = json.dumps({
            "token": "legacy-verification-token", "team_id": self.team_id,
            "api_app_id": "AFAKE", "type": "event_callback",
            "event": {"event_ts": event.get("ts", f"{time.time():.6f}"), **event},
            "event_id": f"Ev{secrets.token_hex(5).upper()}", "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": self.api.bot_user_id,
                                "is_bot": True}],
        }).encode()
        headers = {"Content-Type": "application/json", **sign(self.signing_secret, body)}
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num),
                            "X-Slack-Retry-Reason": "http_timeout"})
        return await self._http.post(self.bot_url, content=body, headers=headers)

    async def run_step(self, callback_id: str, inputs: dict[str, Any], *,
                       execution_id: str | None = None, token: str | None = None
                       ) -> tuple[str, httpx.Response]:
        """A workflow reaches one of the app's steps: Slack starts a run and sends
        ``function_executed`` (again, for the same run, given ``execution_id`` and
        ``token``). Returns the run's execution id and the bot's answer."""
        if execution_id is None:
            execution_id, token = self.api.start_function()
        response = await self.event({
            "type": "function_executed",
            "function": {"id": f"Fn{callback_id.upper()[:8]}", "callback_id": callback_id,
                         "title": callback_id, "description": "", "type": "app",
                         "app_id": "AFAKE", "input_parameters": [], "output_parameters": [],
                         "date_created": 1700000000, "date_updated": 1700000000,
                         "date_deleted": 0},
            "inputs": inputs, "function_execution_id": execution_id,
            "workflow_execution_id": f"Wx{execution_id[2:]}",
            "bot_access_token": token or "",
        })
        return execution_id, response

    async def post_message(self, user_id: str, channel_id: str, text: str, *,
                           thread_ts: str | None = None, send_event: bool = True,
                           **extra: Any) -> tuple[str, httpx.Response | None]:
        """A person posts in a channel: the message exists in Slack, and the bot hears it."""
        ts = self.api.add_user_message(user_id, channel_id, text, thread_ts=thread_ts)
        event: dict[str, Any] = {"type": "message", "channel": channel_id, "user": user_id,
                                 "text": text, "ts": ts, "channel_type": "channel", **extra}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return ts, (await self.event(event) if send_event else None)

    async def message_shortcut(self, user_id: str, callback_id: str, *, channel_id: str,
                               message_ts: str) -> httpx.Response:
        message = self.api.messages[(channel_id, message_ts)]
        return await self._interaction({
            "type": "message_action", "callback_id": callback_id,
            "team": {"id": self.team_id, "domain": "acme"},
            "user": _user(self.api, user_id, self.team_id), "api_app_id": "AFAKE",
            "token": "legacy-verification-token", "trigger_id": self.api.issue_trigger_id(),
            "channel": {"id": channel_id, "name": channel_id.lower()},
            "message_ts": message_ts, "message": message,
            "response_url": f"{self.api.base_url}../response/{secrets.token_hex(6)}",
        })

    async def block_suggestion(self, user_id: str, view: dict[str, Any], block_id: str,
                               action_id: str, query: str) -> httpx.Response:
        return await self._interaction({
            "type": "block_suggestion", "user": _user(self.api, user_id, self.team_id),
            "team": {"id": self.team_id, "domain": "acme"}, "api_app_id": "AFAKE",
            "token": "legacy-verification-token", "container": {"type": "view",
                                                                "view_id": view.get("id")},
            "view": view, "block_id": block_id, "action_id": action_id, "value": query,
        })
