"""The App Home tab as a person opens it in the fake Slack, and its buttons."""

from __future__ import annotations

from typing import Any

from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually


def home_of(slack: FakeSlackWebAPI, user: str) -> dict[str, Any] | None:
    return next((v for v in slack.views.values()
                 if v.get("type") == "home" and v.get("user_id") == user), None)


async def open_home(driver: SlackDriver, slack: FakeSlackWebAPI, user: str) -> dict[str, Any]:
    before = len(slack.calls_to("views.publish"))
    answer = await driver.event({"type": "app_home_opened", "user": user, "tab": "home",
                                 "channel": f"D{user}"})
    assert answer.status_code == 200
    await eventually(lambda: any(c.ok and c.args.get("user_id") == user
                                 for c in slack.calls_to("views.publish")[before:]))
    home = home_of(slack, user)
    assert home is not None
    return home


def home_buttons(home: dict[str, Any], action: str) -> list[dict[str, Any]]:
    """Buttons with ``action`` in actions blocks and as section accessories."""
    found: list[dict[str, Any]] = []
    for block in home.get("blocks", []):
        elements = block["elements"] if block.get("type") == "actions" else []
        found += [e for e in [*elements, block.get("accessory") or {}]
                  if e.get("action_id") == action]
    return found


def section_blocks(home: dict[str, Any], title: str) -> list[dict[str, Any]]:
    """The blocks under the Home's ``*title*`` section, up to the next divider."""
    blocks = home.get("blocks", [])
    start = next(i for i, b in enumerate(blocks)
                 if (b.get("text") or {}).get("text") == f"*{title}*")
    end = next((i for i in range(start + 1, len(blocks))
                if blocks[i]["type"] == "divider"), len(blocks))
    return list(blocks[start + 1:end])
