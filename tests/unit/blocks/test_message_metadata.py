"""The line order's message metadata (``blocks.approval.metadata``): one payload, Slack's rules
kept,
and the approval message recognised by this version's event type and the one before."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from blocks.approval.metadata import (
    BUNDLE_KEYS,
    LINE_ORDER_EVENT,
    LINE_ORDER_KEYS,
    bundle_metadata,
    line_news_metadata,
    line_order_metadata,
    line_order_payload,
    status_change_metadata,
)
from bot.domain import RequestState, StatusChange
from bot.effects.outbox import (
    APPROVAL_EVENT,
    LEGACY_APPROVAL_EVENT,
    _names,
    approval_message_metadata,
    approval_metadata,
    effect_metadata,
)
from bot.mobproc.models import ServiceAsset
from bot.slack_standin.fake_web_api import SlackError, _check_metadata
from bot.storage.outbox_queue import QueuedCall
from handlers.slack.guards import message_names
from tests.support.examples import bundle, request

# Slack: an event type of letters, digits, underscores (and hyphens), no periods; its
# schema guide asks for lower case and property names of [a-z0-9_] starting with a letter.
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
SCALAR = (str, int, float, bool)


def slack_would_take(metadata: dict[str, Any]) -> None:
    """Slack's rules for message metadata, as documented and as the stand-in refuses."""
    assert NAME.match(metadata["event_type"])
    _check_metadata(metadata)  # raises what Slack answers
    for key, value in metadata["event_payload"].items():
        assert NAME.match(key), key
        entries = value if isinstance(value, list) else [value]
        for entry in entries:
            fields = entry if isinstance(entry, dict) else {key: entry}
            assert all(NAME.match(k) and isinstance(v, SCALAR) for k, v in fields.items())


def test_a_line_orders_payload_before_and_after_placing() -> None:
    pending = request(RequestState.PENDING)
    assert line_order_metadata(pending, "US") == {
        "event_type": "mobproc_line_order",
        "event_payload": {"request_id": "req-1", "state": "pending",
                          "line": "+14045553104", "order_type": "SUSPEND",
                          "order_id": "", "mobproc_status": ""}}
    placed = request(RequestState.SUBMITTED, order_id="9000001", order_status="IN_PROGRESS")
    payload = line_order_payload(placed, "US")
    assert set(payload) == LINE_ORDER_KEYS
    assert (payload["state"], payload["order_id"], payload["mobproc_status"]) == \
        ("submitted", "9000001", "IN_PROGRESS")
    slack_would_take(line_order_metadata(placed, "US"))


@pytest.mark.parametrize(("digits", "region", "line"), [
    ("2079460958", "GB", "+442079460958"),  # the tenant's own country
    ("442079460958", "US", "+442079460958"),  # another country, its code first
    ("12", "US", "12"),  # no number at all: MobProc's digits as they are
])
def test_the_line_is_in_e164_when_it_reads_as_a_number(digits: str, region: str,
                                                       line: str) -> None:
    req = request(service=ServiceAsset(id="9", serviceNumber=digits))
    assert line_order_payload(req, region)["line"] == line


def test_status_news_carries_the_status_it_tells() -> None:
    # The follower saw two steps at once: the request as recorded holds the last.
    done = request(RequestState.COMPLETED, order_id="9000001", order_status="COMPLETE")

    def told(new: str, final: bool, subject: str = "order") -> dict[str, Any]:
        return status_change_metadata(StatusChange(
            request=done, subject=subject, old_status="ORDER_SUBMITTED", new_status=new,
            final=final, seen_at=datetime.now(UTC)), "US")["event_payload"]

    step = told("IN_PROGRESS", False)
    assert (step["state"], step["mobproc_status"]) == ("submitted", "IN_PROGRESS")
    last = told("COMPLETE", True)
    assert (last["state"], last["mobproc_status"]) == ("completed", "COMPLETE")
    segment = told("SHIPPED", False, "segment 1")  # a segment's: the order's own status
    assert (segment["state"], segment["mobproc_status"]) == ("completed", "COMPLETE")


def test_a_leavers_request_carries_its_lines_and_a_lines_news_that_line() -> None:
    view = bundle()
    whole = bundle_metadata(view, "US")
    slack_would_take(whole)
    assert whole["event_type"] == LINE_ORDER_EVENT
    assert set(whole["event_payload"]) == BUNDLE_KEYS
    assert whole["event_payload"]["state"] == "pending"
    assert [e["request_id"] for e in whole["event_payload"]["lines"]] == ["line-1", "line-2"]
    assert [(e["line"], e["order_type"]) for e in whole["event_payload"]["lines"]] == [
        ("+13125550101", "SUSPEND"), ("+13125550102", "DEACTIVATE")]
    line = view.orders[1].model_copy(update={"state": RequestState.SUBMITTED,
                                             "order_id": "9000003"})
    news = line_news_metadata(line, "US")
    slack_would_take(news)
    assert news["event_payload"] == {
        "request_id": "off-1", "state": "approved",
        "lines": [line_order_payload(line, "US")]}
    # A single-line request's news is its own payload, not a request's shape.
    assert line_news_metadata(request(), "US") == line_order_metadata(request(), "US")


def test_the_outboxs_marks_keep_it_what_slack_takes() -> None:
    call = QueuedCall(id=7, request_id="req-1", method="chat.postMessage",
                      args={"channel": "C1", "text": "x",
                            "metadata": line_order_metadata(request(), "US")},
                      purpose=None)
    marked = effect_metadata(call)
    assert marked is not None and marked["event_type"] == LINE_ORDER_EVENT
    assert marked["event_payload"]["effect_id"] == 7
    slack_would_take(marked)


def test_slack_refuses_what_has_no_place_in_a_payload() -> None:
    # A null (the reason "not known yet" is the empty string) and a list of bare strings.
    for payload in ({"order_id": None}, {"lines": ["a", "b"]}):
        with pytest.raises(SlackError, match="invalid_metadata_schema"):
            _check_metadata({"event_type": LINE_ORDER_EVENT, "event_payload": payload})


def test_the_approval_message_names_its_request_whatever_its_render_said() -> None:
    rendered = line_order_metadata(request(), "US")
    assert approval_message_metadata("req-1", rendered) == rendered
    assert approval_message_metadata("req-2", rendered)["event_payload"] == {
        **rendered["event_payload"], "request_id": "req-2"}
    assert approval_message_metadata("req-3", None) == {
        "event_type": APPROVAL_EVENT, "event_payload": {"request_id": "req-3"}}


def _message(metadata: Any, **extra: Any) -> dict[str, Any]:
    return {"ts": "1.1", "metadata": metadata, **extra}


def test_a_clicked_message_is_its_requests_by_either_event_type() -> None:
    ours = line_order_metadata(request(), "US")
    legacy = {"event_type": LEGACY_APPROVAL_EVENT, "event_payload": {"request_id": "req-1"}}
    assert message_names(_message(ours), "req-1")
    assert message_names(_message(legacy), "req-1")  # posted by an earlier version
    assert not message_names(_message(ours), "req-2")
    assert not message_names(_message({"event_type": "mobproc_bot_effect",
                                       "event_payload": {"request_id": "req-1"}}), "req-1")
    # The news in its thread names the request too, and is no approval message.
    assert not message_names(_message(ours, thread_ts="1.0"), "req-1")
    assert message_names(_message(ours, thread_ts="1.1"), "req-1")  # the thread's parent


def test_an_earlier_versions_approval_post_is_still_found_by_its_own_metadata() -> None:
    """A call queued by an earlier version carries its metadata as queued (the old event
    type): the message it posted, unrecorded, is found by it and not posted again."""
    legacy = {"event_type": LEGACY_APPROVAL_EVENT, "event_payload": {"request_id": "req-1"}}
    call = QueuedCall(id=3, request_id="req-1", method="chat.postMessage",
                      args={"channel": "C1", "text": "x", "metadata": legacy},
                      purpose="approval")
    marks = effect_metadata(call)
    assert marks is not None
    assert _names(legacy, marks, legacy)
    assert not _names({**legacy, "event_payload": {"request_id": "req-2"}}, marks, legacy)
    # MobProc approval DMs keep the old event type: they are no line order of ours.
    assert approval_metadata("row-1")["event_type"] == LEGACY_APPROVAL_EVENT
