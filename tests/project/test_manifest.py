"""manifest.yml is a valid Slack app manifest and declares exactly the commands we handle."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
import yaml

from bot.slack_standin.driver import SlackDriver
from handlers import registry
from tests.conftest import FIXTURES, REQUESTER, ROOT


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return json.loads((FIXTURES / "slack" / "manifest.schema.1.0.0.json").read_text())


def test_manifest_validates(manifest: dict[str, Any], schema: dict[str, Any]) -> None:
    jsonschema.validate(manifest, schema)


def test_a_broken_manifest_does_not(manifest: dict[str, Any], schema: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    broken["features"]["slash_commands"][0]["command"] = "suspend-line"  # no leading slash
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


async def test_declared_commands_are_exactly_the_handled_ones(
        manifest: dict[str, Any], driver: SlackDriver) -> None:
    declared = {c["command"] for c in manifest["features"]["slash_commands"]}
    assert declared == set(registry.COMMANDS)
    # And the running app agrees: each declared command is answered, any other is not.
    for command in sorted(declared):
        answer = await driver.slash_command(REQUESTER, command, "")
        assert answer.status_code == 200, command
    stray = await driver.slash_command(REQUESTER, "/order-pizza", "415-555-0199")
    assert stray.status_code == 404


async def test_declared_shortcuts_and_events_are_the_handled_ones(
        manifest: dict[str, Any], driver: SlackDriver) -> None:
    shortcuts = {s["callback_id"] for s in manifest["features"]["shortcuts"]}
    assert shortcuts == set(registry.MESSAGE_SHORTCUTS)
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert events == set(registry.BOT_EVENTS)
    # An event type the app does not declare is not handled (Bolt answers 404).
    stray = await driver.event({"type": "reaction_added", "user": REQUESTER, "ts": "1.1"})
    assert stray.status_code == 404
    for event_type in set(registry.BOT_EVENTS.values()):
        answer = await driver.event({"type": event_type, "user": REQUESTER,
                                     "channel": "CGENERAL", "text": "hi", "ts": "1.2"})
        assert answer.status_code == 200, event_type


def test_interactivity_socket_mode_and_scopes(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert {"commands", "chat:write", "users:read", "users:read.email", "usergroups:read",
            "channels:history", "app_mentions:read"} <= set(scopes)
    # The pre-flight check compares the token's scopes with this list.
    assert sorted(scopes) == sorted(registry.BOT_SCOPES)


def test_the_workflow_steps_are_declared_as_the_bot_runs_them(
        manifest: dict[str, Any]) -> None:
    from bot.workflow_steps import steps

    functions = manifest["functions"]
    assert sorted(functions) == sorted(registry.WORKFLOW_STEPS)
    # Run by the bot itself, and offered in Workflow Builder (the app is org-ready).
    assert manifest["settings"]["function_runtime"] == "remote"
    assert manifest["settings"]["org_deploy_enabled"] is True
    assert "function_executed" in manifest["settings"]["event_subscriptions"]["bot_events"]
    assert functions["suspend_line"]["title"] == "Suspend a phone line"
    assert functions["offboard_lines"]["title"] == "Offboard a person's lines"
    for callback_id, function in functions.items():
        inputs, outputs = function["input_parameters"], function["output_parameters"]
        for name, parameter in {**inputs, **outputs}.items():
            assert parameter["name"] == name, (callback_id, name)
        assert inputs[steps.REQUESTER]["type"] == "slack#/types/user_id"
        assert inputs[steps.REQUESTER]["is_required"] is True
        ids = steps.ORDER_IDS if callback_id == steps.OFFBOARD_LINES else steps.ORDER_ID
        # What handlers/workflow_steps/completion.py sends as outputs, exactly.
        assert set(outputs) == {steps.REQUEST_ID, ids, steps.STATUS}
        if callback_id == steps.OFFBOARD_LINES:
            assert set(inputs) == {steps.PERSON, steps.PERSON_EMAIL, steps.REQUESTER}
            assert inputs[steps.PERSON]["type"] == "slack#/types/user_id"
        else:
            assert set(inputs) == {steps.LINE_NUMBER, steps.REQUESTER}
            assert inputs[steps.LINE_NUMBER]["type"] == "string"


def test_a_function_with_a_list_of_parameters_is_not_valid(
        manifest: dict[str, Any], schema: dict[str, Any]) -> None:
    broken = copy.deepcopy(manifest)
    broken["functions"]["suspend_line"]["input_parameters"] = [{"type": "string"}]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)
