"""What a person reads in the fake Slack: thread replies and private notices, as texts."""

from __future__ import annotations

from typing import Any

from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from tests.support.flow import all_text


def replies(slack: FakeSlackWebAPI, channel: str, ts: str) -> list[str]:
    """The texts of a thread's replies, in the order Slack shows them."""
    return [r["text"] for r in slack.thread_replies(channel, ts)]


def replies_saying(slack: FakeSlackWebAPI, channel: str, ts: str, words: str) -> list[str]:
    """The texts of a thread's replies that contain ``words``."""
    return [text for text in replies(slack, channel, ts) if words in text]


def bot_replies(slack: FakeSlackWebAPI, channel: str, ts: str) -> list[dict[str, Any]]:
    """The bot's own replies in a thread (not the people's)."""
    return [m for m in slack.thread_replies(channel, ts) if m.get("user") == slack.bot_user_id]


def ephemerals_to(slack: FakeSlackWebAPI, user: str, after: int = 0) -> list[str]:
    """Every private notice shown to ``user``, from the ``after``-th ephemeral call on."""
    return [all_text(c.args) for c in slack.calls_to("chat.postEphemeral")[after:]
            if c.args.get("user") == user]


def dms_to(slack: FakeSlackWebAPI, user: str, after: int = 0) -> list[str]:
    """Every direct message Slack accepted for ``user``, from the ``after``-th
    chat.postMessage call on."""
    return [all_text(c.args) for c in slack.calls_to("chat.postMessage")[after:]
            if c.ok and c.args.get("channel") == user]


def ephemerals_saying(slack: FakeSlackWebAPI, words: str) -> list[str]:
    """Every private notice, to anyone, that contains ``words``."""
    return [text for text in (all_text(c.args) for c in slack.calls_to("chat.postEphemeral"))
            if words in text]
