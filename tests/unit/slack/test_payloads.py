"""The typed Slack payloads the listeners read (handlers.slack.payloads), on Slack's own
example payloads: what each listener takes from them, and a clear error naming the field
when one Slack always sends is missing."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import parse_qsl

import pytest
from pydantic import ValidationError

from handlers.slack.guards import message_names
from handlers.slack.payloads import (
    BlockAction,
    BlockSuggestion,
    FunctionExecuted,
    HomeOpened,
    MessageEvent,
    MessageShortcut,
    SlashCommand,
    ViewSubmission,
)

# Slack's example block_actions payload (a button in a channel message), with the message
# metadata the bot sets on its approval messages.
BLOCK_ACTIONS: dict[str, Any] = {
    "type": "block_actions",
    "team": {"id": "T9TK3CUKW", "domain": "example"},
    "user": {"id": "UA8RXUSPL", "username": "jtorrance", "team_id": "T9TK3CUKW"},
    "api_app_id": "AABA1ABCD",
    "token": "9s8d9as89d8as9d8as989",
    "container": {"type": "message", "message_ts": "1548261231.000200",
                  "channel_id": "CBR2V3XEX", "is_ephemeral": False},
    "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
    "channel": {"id": "CBR2V3XEX", "name": "review-updates"},
    "message": {
        "bot_id": "BAH5CA16Z", "type": "message", "text": "This content can't be displayed.",
        "user": "UAJ2RU415", "ts": "1548261231.000200",
        "metadata": {"event_type": "mobproc_line_order",
                     "event_payload": {"request_id": "r-123"}},
        "blocks": [{"type": "actions", "block_id": "=qXel", "elements": []}],
    },
    "response_url": "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9",
    "actions": [{"action_id": "WaXA", "block_id": "=qXel",
                 "text": {"type": "plain_text", "text": "View", "emoji": True},
                 "value": "click_me_123", "type": "button",
                 "action_ts": "1548426417.840180"}],
}

# Slack's example view_submission payload.
VIEW_SUBMISSION: dict[str, Any] = {
    "type": "view_submission",
    "team": {"id": "T0MJRM1NE", "domain": "pandamonium"},
    "user": {"id": "U0MJRG1AL", "name": "aoberoi"},
    "view": {
        "id": "VNHU13V36", "type": "modal",
        "title": {"type": "plain_text", "text": "Modal with inputs"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "blocks": [{"type": "input", "block_id": "multi-line",
                    "label": {"type": "plain_text", "text": "Enter your value"},
                    "element": {"type": "plain_text_input", "multiline": True,
                                "action_id": "ml-value"}}],
        "private_metadata": "shhh-its-secret",
        "callback_id": "modal-with-inputs",
        "state": {"values": {"multi-line": {"ml-value": {
            "type": "plain_text_input", "value": "This is my example inputted value"}}}},
        "hash": "156663117.cd33ad1f",
    },
}

# Slack's example slash command, as the form Bolt parses into ``body``.
SLASH_COMMAND = dict(parse_qsl(
    "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&enterprise_id=E0001"
    "&enterprise_name=Globular%20Construct%20Inc&channel_id=C2147483705&channel_name=test"
    "&user_id=U2147483697&user_name=Steve&command=/weather&text=94070"
    "&response_url=https://hooks.slack.com/commands/1234/5678"
    "&trigger_id=13345224609.738474920.8088930838d88f008e0&api_app_id=A123456"))


def without(payload: dict[str, Any], *path: str) -> dict[str, Any]:
    changed = copy.deepcopy(payload)
    node = changed
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return changed


def missing(error: pytest.ExceptionInfo[ValidationError]) -> list[tuple[Any, ...]]:
    return [e["loc"] for e in error.value.errors() if e["type"] == "missing"]


def test_a_click_on_a_button_in_a_message() -> None:
    click = BlockAction.from_body(BLOCK_ACTIONS)
    assert click.user_id == "UA8RXUSPL"
    assert click.channel_id == click.message_channel_id == "CBR2V3XEX"
    assert click.message_ts == "1548261231.000200"
    assert (click.action_id, click.value) == ("WaXA", "click_me_123")
    assert click.trigger_id == "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3"
    assert click.message_metadata is not None
    assert click.message_metadata.event_type == "mobproc_line_order"
    assert click.message_metadata.event_payload == {"request_id": "r-123"}


def test_the_clicked_message_still_names_its_request() -> None:
    message = BlockAction.from_body(BLOCK_ACTIONS).message
    assert message is not None
    assert message_names(message.as_dict(), "r-123")
    assert not message_names(message.as_dict(), "r-other")
    threaded = copy.deepcopy(BLOCK_ACTIONS)
    threaded["message"]["thread_ts"] = "1548261000.000100"
    reply = BlockAction.from_body(threaded).message
    assert reply is not None and not message_names(reply.as_dict(), "r-123")


def test_a_click_without_channel_or_message_reads_them_from_its_container() -> None:
    click = BlockAction.from_body(without(without(BLOCK_ACTIONS, "channel"), "message"))
    assert click.channel_id is None  # only a message's ``channel`` is taken as where to answer
    assert click.message_channel_id == "CBR2V3XEX"
    assert click.message_ts == "1548261231.000200"
    assert click.message_metadata is None


def test_a_click_in_the_home_tab() -> None:
    click = BlockAction.from_body({
        "type": "block_actions", "user": {"id": "U1"}, "trigger_id": "t.1",
        "container": {"type": "view", "view_id": "V1"},
        "view": {"id": "V1", "type": "home"},
        "actions": [{"action_id": "home_approve", "type": "button"}]})
    assert (click.channel_id, click.message_channel_id, click.message_ts) == (None, None, None)
    assert click.value == ""  # a button without a value


def test_a_view_submission() -> None:
    submission = ViewSubmission.from_body(VIEW_SUBMISSION)
    assert submission.user_id == "U0MJRG1AL"
    assert submission.view.id == "VNHU13V36"
    assert submission.view.callback_id == "modal-with-inputs"
    assert submission.view.private_metadata == "shhh-its-secret"
    assert submission.values["multi-line"]["ml-value"]["value"] == \
        "This is my example inputted value"
    assert submission.view.text("multi-line", "ml-value") == \
        "This is my example inputted value"
    assert submission.view.text("multi-line") == ""
    assert submission.view.text("no-such-block") == ""


def test_a_view_submission_with_null_or_no_private_metadata_reads_it_as_empty() -> None:
    nulled = copy.deepcopy(VIEW_SUBMISSION)
    nulled["view"]["private_metadata"] = None
    assert ViewSubmission.from_body(nulled).view.private_metadata == ""
    no_values = without(VIEW_SUBMISSION, "view", "private_metadata")
    no_values["view"]["state"] = {}
    assert ViewSubmission.from_body(no_values).values == {}


def test_a_slash_command() -> None:
    command = SlashCommand.from_body(SLASH_COMMAND)
    assert command.command == "/weather"
    assert (command.user_id, command.channel_id) == ("U2147483697", "C2147483705")
    assert command.text == "94070"
    assert command.trigger_id == "13345224609.738474920.8088930838d88f008e0"
    assert SlashCommand.from_body({**SLASH_COMMAND, "text": ""}).text == ""


def test_a_message_shortcut() -> None:
    shortcut = MessageShortcut.from_body({
        "type": "message_action", "callback_id": "create_line_order",
        "trigger_id": "13345224609.8534564800.6f8ab1f53e13d0cd15f96106292d5536",
        "message_ts": "1516229207.000133", "response_url": "https://hooks.slack.com/app-actions",
        "team": {"id": "T0MJRM1NE", "domain": "pandamonium"},
        "channel": {"id": "D0LFFBKLZ", "name": "cats"},
        "user": {"id": "U0D15K92L", "name": "dr_maomao"},
        "message": {"type": "message", "user": "U0G9QF9C6", "text": "Hello world",
                    "ts": "1516229207.000133"}})
    assert (shortcut.user_id, shortcut.channel_id) == ("U0D15K92L", "D0LFFBKLZ")
    assert shortcut.message is not None
    assert (shortcut.message.user, shortcut.message.text, shortcut.message.ts) == (
        "U0G9QF9C6", "Hello world", "1516229207.000133")
    assert shortcut.message.thread_ts is None


def test_a_block_suggestion() -> None:
    suggestion = BlockSuggestion.from_body({
        "type": "block_suggestion", "user": {"id": "U1"}, "container": {"type": "view"},
        "action_id": "value", "block_id": "device_model", "value": "iph",
        "view": {"id": "V1", "callback_id": "order_form", "private_metadata": "r-1"}})
    assert (suggestion.block_id, suggestion.value) == ("device_model", "iph")
    assert (suggestion.view.callback_id, suggestion.view.private_metadata) == (
        "order_form", "r-1")
    bare = BlockSuggestion.from_body({"type": "block_suggestion", "user": {"id": "U1"}})
    assert (bare.view.private_metadata, bare.value) == ("", "")


def test_events() -> None:
    mention = MessageEvent.from_body({
        "type": "app_mention", "user": "U061F7AUR",
        "text": "<@U0LAN0Z89> is it everything a river should be?",
        "ts": "1515449522.000016", "channel": "C0LAN2Q65", "event_ts": "1515449522000016"})
    assert (mention.user, mention.channel, mention.ts) == (
        "U061F7AUR", "C0LAN2Q65", "1515449522.000016")
    assert mention.thread_ts is None and mention.subtype is None and mention.bot_id is None
    edited = MessageEvent.from_body({"type": "message", "subtype": "message_changed",
                                     "channel": "C1", "ts": "1.2", "hidden": True,
                                     "message": {"text": "new"}})
    assert edited.subtype == "message_changed" and edited.user is None and edited.text == ""
    home = HomeOpened.from_body({"type": "app_home_opened", "user": "U061F7AUR",
                                 "channel": "D0LAN2Q65", "event_ts": "1515449522000016",
                                 "tab": "home"})
    assert (home.user, home.tab) == ("U061F7AUR", "home")
    assert HomeOpened.from_body({"type": "app_home_opened", "user": "U1"}).tab == "home"
    step = FunctionExecuted.from_body({
        "type": "function_executed",
        "function": {"id": "Fn123456789O", "callback_id": "sample_function",
                     "title": "Sample function", "type": "app", "app_id": "AP123456789"},
        "inputs": {"user_id": "USLACKBOT"}, "function_execution_id": "Fx1234567O9L",
        "workflow_execution_id": "WxABC123DEF0", "event_ts": "1698958075.998738",
        "bot_access_token": "xwfp-abc"})
    assert (step.function_execution_id, step.function.callback_id, step.inputs) == (
        "Fx1234567O9L", "sample_function", {"user_id": "USLACKBOT"})
    assert FunctionExecuted.from_body({"type": "function_executed"}).function_execution_id \
        == ""


@pytest.mark.parametrize(("model", "payload", "path"), [
    (BlockAction, BLOCK_ACTIONS, ("user",)),
    (BlockAction, BLOCK_ACTIONS, ("user", "id")),
    (BlockAction, BLOCK_ACTIONS, ("actions",)),
    (ViewSubmission, VIEW_SUBMISSION, ("user",)),
    (ViewSubmission, VIEW_SUBMISSION, ("view",)),
    (SlashCommand, SLASH_COMMAND, ("user_id",)),
    (SlashCommand, SLASH_COMMAND, ("trigger_id",)),
    (SlashCommand, SLASH_COMMAND, ("command",)),
    (MessageShortcut, {"type": "message_action", "user": {"id": "U1"}}, ("user",)),
])
def test_a_missing_field_is_named(model: Any, payload: dict[str, Any],
                                  path: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as error:
        model.from_body(without(payload, *path))
    assert missing(error) == [path]
    assert ".".join(path) in str(error.value)
    assert "Field required" in str(error.value)


def test_a_field_of_the_wrong_type_is_named() -> None:
    odd = {**BLOCK_ACTIONS, "actions": {"not": "a list"}}
    with pytest.raises(ValidationError) as error:
        BlockAction.from_body(odd)
    assert [e["loc"] for e in error.value.errors()] == [("actions",)]


def test_unknown_fields_are_ignored_and_payloads_are_frozen() -> None:
    click = BlockAction.from_body({**BLOCK_ACTIONS, "surprise": {"x": 1}})
    assert not hasattr(click, "surprise")
    with pytest.raises(ValidationError):
        click.trigger_id = "changed"  # type: ignore[misc]


def test_the_options_chosen_in_a_submitted_view() -> None:
    submission = ViewSubmission.from_body({
        "type": "view_submission", "user": {"id": "U1"},
        "view": {"id": "V1", "state": {"values": {
            "line-1": {"choice": {"type": "static_select",
                                  "selected_option": {"value": "SUSPEND",
                                                      "text": {"type": "plain_text",
                                                               "text": "Suspend"}}}},
            "line-2": {"choice": {"type": "static_select", "selected_option": None}},
        }}}})
    assert submission.view.selections() == {"line-1": "SUSPEND", "line-2": ""}
