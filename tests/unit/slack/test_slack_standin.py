"""The Slack stand-in refuses what real Slack refuses, and slack-sdk works against it."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_standin.block_kit_limits import validate_message, validate_view
from bot.slack_standin.driver import sign, view_state
from bot.slack_standin.fake_web_api import FakeSlackWebAPI, RateLimits
from tests.conftest import APPROVER, BOT_TOKEN, REQUESTER


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str) -> dict[str, Any]:
    return {"type": "button", "action_id": "a", "text": {"type": "plain_text", "text": text}}


def modal(blocks: list[dict[str, Any]], title: str = "Title") -> dict[str, Any]:
    return {"type": "modal", "title": {"type": "plain_text", "text": title},
            "submit": {"type": "plain_text", "text": "Go"}, "blocks": blocks}


def text_input(block_id: str, **element: Any) -> dict[str, Any]:
    return {"type": "input", "block_id": block_id,
            "label": {"type": "plain_text", "text": "Label"},
            "element": {"type": "plain_text_input", "action_id": "value", **element}}


@pytest.mark.parametrize(("payload", "problem"), [
    ({"text": "x", "blocks": [section("x")] * 51}, "at most 50 blocks"),
    ({"text": "x", "blocks": [section("x" * 3001)]}, "3000"),
    ({"text": "x", "blocks": [{"type": "actions", "elements": [button("b" * 76)]}]}, "75"),
    ({"blocks": [section("x")]}, "fallback text"),
    ({"text": "x", "blocks": [{"type": "header",
                               "text": {"type": "mrkdwn", "text": "h"}}]}, "plain_text"),
    ({"text": "x", "blocks": [{"type": "section", "block_id": "same", "text": {
        "type": "mrkdwn", "text": "a"}}, {"type": "divider", "block_id": "same"}]}, "duplicate"),
    ({"text": "x", "blocks": [{"type": "fancy"}]}, "unknown block type"),
    ({"text": "x", "blocks": [{"type": "section", "fields": [
        {"type": "mrkdwn", "text": "f"}] * 11}]}, "at most 10"),
])
def test_messages_slack_would_refuse(payload: dict[str, Any], problem: str) -> None:
    problems = validate_message(payload)
    assert any(problem in p for p in problems), problems


def test_a_good_message_passes() -> None:
    assert validate_message({"text": "hi", "blocks": [
        section("x" * 3000), {"type": "actions", "elements": [button("b" * 75)]}]}) == []


def test_views_slack_would_refuse() -> None:
    options = [{"text": {"type": "plain_text", "text": f"o{n}"}, "value": str(n)}
               for n in range(101)]
    cases = {
        "at most 100 blocks": modal([section("x")] * 101),
        "24 characters": modal([section("x")], title="t" * 25),
        "between 0 and 3000": modal([text_input("a", max_length=4000)]),
        "min_length must not exceed": modal([text_input("a", min_length=10, max_length=5)]),
        "at most 100 (has 101)": modal([{"type": "input", "block_id": "s",
                                         "label": {"type": "plain_text", "text": "L"},
                                         "element": {"type": "static_select",
                                                     "action_id": "v", "options": options}}]),
        "needs a submit": {k: v for k, v in modal([text_input("a")]).items()
                           if k != "submit"},
    }
    for problem, view in cases.items():
        problems = validate_view(view)
        assert any(problem in p for p in problems), (problem, problems)
    assert validate_view(modal([text_input("a", max_length=3000, min_length=0)])) == []


@pytest.fixture
async def client(slack: FakeSlackWebAPI) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)


async def test_messages_threads_and_updates(client: AsyncWebClient, slack: FakeSlackWebAPI
                                            ) -> None:
    posted = await client.chat_postMessage(channel="CAPPROVALS", text="hello",
                                           blocks=[section("hello")])
    ts = posted["ts"]
    await client.chat_postMessage(channel="CAPPROVALS", thread_ts=ts, text="reply 1")
    await client.chat_postMessage(channel="CAPPROVALS", thread_ts=ts, text="reply 2")
    await client.chat_update(channel="CAPPROVALS", ts=ts, text="updated", blocks=[])
    assert slack.messages[("CAPPROVALS", ts)]["text"] == "updated"
    assert [r["text"] for r in slack.thread_replies("CAPPROVALS", ts)] == ["reply 1", "reply 2"]
    link = await client.chat_getPermalink(channel="CAPPROVALS", message_ts=ts)
    assert link["permalink"].startswith("https://")


async def test_refusals_reach_slack_sdk_as_errors(client: AsyncWebClient,
                                                  slack: FakeSlackWebAPI) -> None:
    for call, error in [
        (client.chat_postMessage(channel="CNOTMEMBER", text="x"), "not_in_channel"),
        (client.chat_postMessage(channel="CAPPROVALS", text="x", blocks=[section("x" * 3001)]),
         "invalid_blocks"),
        (client.chat_update(channel="CAPPROVALS", ts="1.2", text="x"), "message_not_found"),
        (client.views_open(trigger_id="made-up", view=modal([])), "invalid_trigger_id"),
        (client.users_info(user="UNOBODY"), "user_not_found"),
        (client.usergroups_users_list(usergroup="SNONE"), "no_such_subteam"),
    ]:
        with pytest.raises(SlackApiError) as failure:
            await call
        assert failure.value.response["error"] == error
    bad = AsyncWebClient(token="xoxb-wrong", base_url=slack.base_url)
    with pytest.raises(SlackApiError) as failure:
        await bad.auth_test()
    assert failure.value.response["error"] == "invalid_auth"


async def test_triggers_expire_and_are_single_use(client: AsyncWebClient,
                                                  slack: FakeSlackWebAPI) -> None:
    trigger = slack.issue_trigger_id()
    opened = await client.views_open(trigger_id=trigger, view=modal([section("x")]))
    with pytest.raises(SlackApiError):
        await client.views_open(trigger_id=trigger, view=modal([section("x")]))
    slack.trigger_ttl_seconds = 0
    with pytest.raises(SlackApiError) as failure:
        await client.views_open(trigger_id=slack.issue_trigger_id(), view=modal([section("x")]))
    assert failure.value.response["error"] == "expired_trigger_id"
    view_id = opened["view"]["id"]
    with pytest.raises(SlackApiError) as conflict:
        await client.views_update(view_id=view_id, hash="stale", view=modal([section("y")]))
    assert conflict.value.response["error"] == "hash_conflict"
    await client.views_update(view_id=view_id, view=modal([section("y")]))
    assert slack.views[view_id]["blocks"][0]["text"]["text"] == "y"


async def test_users_and_groups(client: AsyncWebClient) -> None:
    user = await client.users_info(user="URequester")
    assert user["user"]["profile"]["email"] == "riley@acme.com"
    nomail = await client.users_info(user="UNOEMAIL")
    assert "email" not in nomail["user"]["profile"]
    group = await client.usergroups_users_list(usergroup="SAPPROVERS")
    assert group["users"] == ["UAPPROVER2"]


async def test_rate_limit_answer(client: AsyncWebClient, slack: FakeSlackWebAPI) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    with pytest.raises(SlackApiError) as failure:
        await client.chat_postMessage(channel="CAPPROVALS", text="x")
    assert failure.value.response.status_code == 429
    assert failure.value.response.headers["Retry-After"] == "1"
    await client.chat_postMessage(channel="CAPPROVALS", text="x")  # the next one goes through


def test_signatures_verify_with_slack_sdk() -> None:
    body = b"command=%2Fsuspend-line&text=415"
    headers = sign("the-secret", body)
    verifier = SignatureVerifier("the-secret")
    assert verifier.is_valid_request(body, headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)


def test_view_state_is_built_like_slacks() -> None:
    view = modal([
        text_input("T"),
        {"type": "input", "block_id": "D", "label": {"type": "plain_text", "text": "D"},
         "element": {"type": "datepicker", "action_id": "value"}},
        {"type": "input", "block_id": "S", "label": {"type": "plain_text", "text": "S"},
         "element": {"type": "static_select", "action_id": "value", "options": [
             {"text": {"type": "plain_text", "text": "One"}, "value": "1"}]}},
        {"type": "input", "block_id": "C", "label": {"type": "plain_text", "text": "C"},
         "element": {"type": "checkboxes", "action_id": "value", "options": [
             {"text": {"type": "plain_text", "text": "A"}, "value": "a"},
             {"text": {"type": "plain_text", "text": "B"}, "value": "b"}]}},
    ])
    state = view_state(view, {"T": "hello", "D": "2026-12-01", "S": "1", "C": ["b"]})
    assert state["T"]["value"] == {"type": "plain_text_input", "value": "hello"}
    assert state["D"]["value"]["selected_date"] == "2026-12-01"
    assert state["S"]["value"]["selected_option"]["text"]["text"] == "One"
    assert [o["value"] for o in state["C"]["value"]["selected_options"]] == ["b"]
    empty = view_state(view, {})
    assert empty["T"]["value"]["value"] is None and empty["S"]["value"]["selected_option"] is None


async def test_rate_limits_when_asked_for() -> None:
    """chat.postMessage: a short burst per channel, then about one a second, 429 with
    Retry-After beyond; views.publish: a per-user limit; other channels and users unaffected."""
    now = [1000.0]
    api = FakeSlackWebAPI(bot_token=BOT_TOKEN, clock=lambda: now[0],
                          rate_limits=RateLimits(post_per_second=1.0, post_burst=3,
                                                 publish_per_minute=10.0, publish_burst=2))
    await api.start()
    try:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=api.base_url)
        for _ in range(3):
            await client.chat_postMessage(channel="CAPPROVALS", text="x")
        with pytest.raises(SlackApiError) as failure:
            await client.chat_postMessage(channel="CAPPROVALS", text="x")
        assert failure.value.response.status_code == 429
        assert failure.value.response["error"] == "ratelimited"
        assert failure.value.response.headers["Retry-After"] == "1"
        await client.chat_postMessage(channel="CGENERAL", text="x")  # its own allowance
        now[0] += 1.0
        await client.chat_postMessage(channel="CAPPROVALS", text="x")  # one more a second
        with pytest.raises(SlackApiError):
            await client.chat_postMessage(channel="CAPPROVALS", text="x")
        home = {"type": "home", "blocks": [section("hi")]}
        for _ in range(2):
            await client.views_publish(user_id=REQUESTER, view=home)
        with pytest.raises(SlackApiError) as publish:
            await client.views_publish(user_id=REQUESTER, view=home)
        assert publish.value.response.headers["Retry-After"] == "6"
        await client.views_publish(user_id=APPROVER, view=home)
        assert api.refused_for_rate("chat.postMessage") == 2
        assert api.refused_for_rate("views.publish") == 1
        assert len([m for m in api.messages.values() if m["channel"] == "CAPPROVALS"]) == 4
    finally:
        await api.stop()


async def test_no_rate_limits_unless_asked_for(client: AsyncWebClient,
                                               slack: FakeSlackWebAPI) -> None:
    for _ in range(20):
        await client.chat_postMessage(channel="CAPPROVALS", text="x")
    assert slack.refused_for_rate("chat.postMessage") == 0


async def test_metadata_is_kept_and_read_back_where_the_message_is(
        client: AsyncWebClient) -> None:
    """Metadata is returned by conversations.history and conversations.replies only with
    include_all_metadata; a post to a user id lands in the DM conversations.open names."""
    mark = {"event_type": "mobproc_bot_effect", "event_payload": {"effect_id": 7}}
    parent = await client.chat_postMessage(channel="CAPPROVALS", text="parent", metadata=mark)
    await client.chat_postMessage(channel="CAPPROVALS", thread_ts=parent["ts"], text="reply",
                                  metadata={**mark, "event_payload": {"effect_id": 8}})
    history = await client.conversations_history(channel="CAPPROVALS",
                                                 include_all_metadata=True)
    assert [m["metadata"] for m in history["messages"]] == [mark]  # top level only
    thread = await client.conversations_replies(channel="CAPPROVALS", ts=parent["ts"],
                                                include_all_metadata=True)
    assert [m["text"] for m in thread["messages"]] == ["parent", "reply"]
    assert [m["metadata"]["event_payload"]["effect_id"] for m in thread["messages"]] == [7, 8]
    bare = await client.conversations_replies(channel="CAPPROVALS", ts=parent["ts"])
    assert not any("metadata" in m for m in bare["messages"])

    dm = await client.chat_postMessage(channel=REQUESTER, text="to you", metadata=mark)
    opened = await client.conversations_open(users=REQUESTER)
    assert opened["channel"]["id"] == dm["channel"]
    seen = await client.conversations_history(channel=dm["channel"], include_all_metadata=True)
    assert [(m["text"], m["metadata"]) for m in seen["messages"]] == [("to you", mark)]


async def test_reads_and_metadata_slack_would_refuse(client: AsyncWebClient,
                                                     slack: FakeSlackWebAPI) -> None:
    posted = await client.chat_postMessage(channel="CAPPROVALS", text="x")
    for call, error in [
        (client.chat_postMessage(channel="CAPPROVALS", text="x", metadata={"event_type": "t"}),
         "invalid_metadata_format"),
        (client.chat_postMessage(channel="CAPPROVALS", text="x", metadata={
            "event_type": "t", "event_payload": {"deep": {"er": {"x": 1}}}}),
         "invalid_metadata_schema"),
        (client.conversations_replies(channel="CAPPROVALS", ts="1.000001"), "thread_not_found"),
        (client.conversations_replies(channel="CNOTMEMBER", ts=posted["ts"]), "not_in_channel"),
        (client.conversations_history(channel=REQUESTER), "channel_not_found"),  # a user id
    ]:
        with pytest.raises(SlackApiError) as failure:
            await call
        assert failure.value.response["error"] == error
    slack.scopes = [s for s in slack.scopes if s != "im:history"]
    with pytest.raises(SlackApiError) as failure:
        await client.conversations_history(channel="D" + REQUESTER)
    assert failure.value.response["error"] == "missing_scope"


async def test_faults_after_slack_did_the_call(slack: FakeSlackWebAPI) -> None:
    """A 5xx, a dropped connection or a late answer after the post was made: the message is
    there though the client never heard so. Faults may be aimed at one channel."""
    # slack-sdk's default client retries a dropped connection itself (posting again).
    client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url, retry_handlers=[])
    slack.fail_next("chat.postMessage", error="internal_error", status=500, retry_after=None,
                    after_accepting=True, channel="CGENERAL")
    await client.chat_postMessage(channel="CAPPROVALS", text="elsewhere")  # not aimed at
    with pytest.raises(SlackApiError) as failure:
        await client.chat_postMessage(channel="CGENERAL", text="one")
    assert failure.value.response.status_code == 500
    slack.drop_next("chat.postMessage")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.chat_postMessage(channel="CGENERAL", text="two")
    slack.answer_late("chat.postMessage", 5)
    impatient = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url, timeout=1,
                               retry_handlers=[])
    with pytest.raises(TimeoutError):
        await impatient.chat_postMessage(channel="CGENERAL", text="three")
    assert sorted(m["text"] for m in slack.messages.values() if m["channel"] == "CGENERAL") \
        == ["one", "three", "two"]
    # A refusal before the call changes nothing.
    slack.fail_next("chat.postMessage", error="internal_error", status=500, retry_after=None)
    with pytest.raises(SlackApiError):
        await client.chat_postMessage(channel="CGENERAL", text="four")
    assert not any(m["text"] == "four" for m in slack.messages.values())
