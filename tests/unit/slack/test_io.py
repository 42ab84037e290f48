"""Opening a loading modal and filling it in (``handlers.slack.io``): written once for the
order form, /offboard-lines and the Workflow Builder steps' forms."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from handlers.slack.io import NOT_OPENED, NOT_SHOWN, open_then_fill, update_view
from tests.conftest import APPROVAL_CHANNEL, BOT_TOKEN, REQUESTER


def modal(text: str) -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Title"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


@pytest.fixture
async def client(slack: FakeSlackWebAPI) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)


def told(slack: FakeSlackWebAPI) -> list[str]:
    return [call.args.get("text", "") for call in slack.calls_to("chat.postEphemeral")]


async def test_the_loading_modal_is_filled_in(client: AsyncWebClient,
                                              slack: FakeSlackWebAPI) -> None:
    await open_then_fill(client, trigger_id=slack.issue_trigger_id(), loading=modal("loading"),
                         user_id=REQUESTER, channel=APPROVAL_CHANNEL,
                         build=lambda: _built("the form"))
    (opened,) = slack.calls_to("views.open")
    (updated,) = slack.calls_to("views.update")
    assert opened.ok and updated.ok
    shown = slack.views[updated.args["view_id"]]
    assert shown["blocks"][0]["text"]["text"] == "the form"
    assert told(slack) == []


async def test_a_refused_open_is_told_and_builds_nothing(client: AsyncWebClient,
                                                        slack: FakeSlackWebAPI) -> None:
    built: list[str] = []

    async def build() -> dict[str, Any]:
        built.append("built")
        return modal("the form")

    await open_then_fill(client, trigger_id="made-up", loading=modal("loading"),
                         user_id=REQUESTER, channel=APPROVAL_CHANNEL, build=build)
    assert built == [] and slack.calls_to("views.update") == []
    assert any(NOT_OPENED in text for text in told(slack))


async def test_a_refused_update_is_told(client: AsyncWebClient, slack: FakeSlackWebAPI
                                        ) -> None:
    await update_view(client, view_id="VNONE", view=modal("the form"), user_id=REQUESTER,
                      channel=APPROVAL_CHANNEL)
    assert any(NOT_SHOWN in text for text in told(slack))


async def _built(text: str) -> dict[str, Any]:
    return modal(text)
