"""Builders for help-desk replies, the final direct message, the Home tab and /line-status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from blocks.helpdesk import replies as helpdesk
from blocks.home import tab as home
from blocks.ids import HOME_APPROVE_ACTION, HOME_CANCEL_ACTION, START_ORDER_ACTION
from blocks.line_status import answer as line_status
from bot.domain import HelpdeskTicket, LineRequest, RequestState
from bot.helpdesk.service import Understanding
from bot.line_status.service import LineStatus, StatusStep
from bot.mobproc.models import TransactionType as T
from bot.phone import parse_service_number
from bot.slack_standin.block_kit_limits import validate_message, validate_view
from tests.support.examples import SERVICE, request
from tests.support.flow import all_text

TICKET = HelpdeskTicket(id="t-1", channel="CHELPDESK", message_ts="1.1", poster_id="UOLIVE",
                        text="stolen! 404-555-3104", service_number="4045553104")
NUMBER = parse_service_number("404-555-3104", "US")


def action_ids(payload: dict[str, Any]) -> list[str]:
    return [e["action_id"] for b in payload["blocks"] if b["type"] == "actions"
            for e in b["elements"]]


def test_understood_with_a_clear_order_offers_one_primary_button() -> None:
    message = helpdesk.understood_message(Understanding(
        ticket=TICKET, number=NUMBER, service=SERVICE, suggested=T.SUSPEND,
        allowed=[T.SUSPEND, T.DEACTIVATE]))
    assert validate_message(message) == []
    text = all_text(message)
    assert "Barbara Andrews" in text and "(404) 555-3104" in text and "<@UOLIVE>" in text
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b.get("style")) for b in buttons] == [
        ("Start suspend order", "primary")]
    assert buttons[0]["action_id"] == f"{START_ORDER_ACTION}_SUSPEND"
    assert buttons[0]["value"] == "t-1:SUSPEND"


def test_understood_but_unclear_offers_what_the_line_allows() -> None:
    message = helpdesk.understood_message(Understanding(
        ticket=TICKET, number=NUMBER, service=SERVICE, allowed=[T.SUSPEND, T.DEACTIVATE]))
    assert validate_message(message) == []
    assert action_ids(message) == [f"{START_ORDER_ACTION}_SUSPEND",
                                   f"{START_ORDER_ACTION}_DEACTIVATE"]
    assert "Which order do you need?" in all_text(message)


def test_a_line_mobproc_does_not_know_gets_the_problem_and_no_button() -> None:
    message = helpdesk.understood_message(Understanding(
        ticket=TICKET, number=NUMBER, problem="MobProc has no line (404) 555-3104."))
    assert validate_message(message) == []
    assert action_ids(message) == []
    assert "MobProc has no line" in message["text"]


def test_waiting_summary_links_the_approval_request() -> None:
    req = request(approval_permalink="https://acme.slack.com/archives/C1/p1")
    message = helpdesk.waiting_summary(req)
    assert validate_message(message) == []
    assert message["blocks"][0]["type"] == "header"
    assert "<https://acme.slack.com/archives/C1/p1|the approval request>" in all_text(message)


def test_final_dm_says_how_it_ended_and_where_to_read_more() -> None:
    base = dict(order_id="9000001", helpdesk_channel="CHELPDESK", helpdesk_ts="1.1")
    done = helpdesk.final_dm(request(RequestState.COMPLETED, **base), "COMPLETE")
    assert done["text"].startswith(":white_check_mark: Done: (404) 555-3104 is suspended")
    assert "9000001" in done["text"] and "<#CHELPDESK>" in done["text"]
    refused = helpdesk.final_dm(request(RequestState.COMPLETED, **base), "REJECTED")
    assert "ended as *Rejected*" in refused["text"] and "was not suspended" in refused["text"]
    for message in (done, refused):
        assert validate_message(message) == []


def _requests(n: int, state: RequestState, **changes: Any) -> list[LineRequest]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [request(state, id=f"r{i}", created_at=start + timedelta(hours=i), **changes)
            for i in range(n)]


def test_home_for_an_approver_has_decision_buttons_per_waiting_request() -> None:
    waiting = _requests(2, RequestState.PENDING, approval_permalink="https://x/p1")
    view = home.home_view(own=[], waiting=waiting, decided=[])
    assert validate_view(view) == []
    decide = [b for b in view["blocks"] if b.get("block_id", "").startswith("decide_")]
    assert [b["block_id"] for b in decide] == ["decide_r0", "decide_r1"]
    assert [(e["action_id"], e["text"]["text"], e["value"]) for e in decide[0]["elements"]] == [
        (HOME_APPROVE_ACTION, "Approve", "r0"), (HOME_CANCEL_ACTION, "Cancel", "r0")]
    assert "You have no line orders yet" in all_text(view)
    # Each reader sees when it was asked in their own time zone.
    asked = int(waiting[0].created_at.timestamp())
    assert f"Asked <!date^{asked}^" in all_text(view)


def test_home_for_anyone_else_has_no_waiting_section() -> None:
    own = _requests(1, RequestState.SUBMITTED, order_id="9000001", order_status="IN_PROGRESS")
    view = home.home_view(own=own, waiting=None, decided=own)
    assert validate_view(view) == []
    text = all_text(view)
    assert "Waiting for your decision" not in text
    assert "MobProc order 9000001: In progress" in text
    assert HOME_APPROVE_ACTION not in action_ids(view)
    assert not [b for b in view["blocks"] if "accessory" in b]  # nothing to withdraw


def test_own_pending_requests_can_be_withdrawn_from_home() -> None:
    own = _requests(1, RequestState.PENDING)
    view = home.home_view(own=own, waiting=None, decided=[])
    assert validate_view(view) == []
    (withdraw,) = [b["accessory"] for b in view["blocks"] if "accessory" in b]
    assert (withdraw["action_id"], withdraw["value"]) == (HOME_CANCEL_ACTION, "r0")
    assert withdraw["confirm"]["text"]["text"] == "Nothing will be ordered."


def test_a_busy_home_stays_within_slack_limits() -> None:
    many = _requests(60, RequestState.PENDING)
    view = home.home_view(own=many, waiting=many, decided=many)
    assert validate_view(view) == []
    decide = [b for b in view["blocks"] if b.get("block_id", "").startswith("decide_")]
    assert len(decide) == home.MAX_WAITING


def test_number_modal_asks_for_the_line() -> None:
    view = home.number_modal("UNSUSPEND", error=None)
    assert validate_view(view) == []
    assert view["private_metadata"] == "UNSUSPEND" and view["title"]["text"] == "Unsuspend a line"


def test_line_status_shows_history_and_marks_the_order_asked_for() -> None:
    placed = request(RequestState.COMPLETED, id="r1", order_id="9000001",
                     order_status="COMPLETE")
    draft = request(RequestState.CANCELLED, id="r2")
    found = LineStatus(service=SERVICE, requests=[placed, draft], asked_for_order="9000001",
                       history={"r1": [StatusStep(status="ORDER_SUBMITTED"),
                                       StatusStep(status="COMPLETE")]})
    message = line_status.line_status_message(found)
    assert validate_message(message) == []
    text = all_text(message)
    assert "Statuses: Order submitted → Complete" in text
    assert "MobProc order *9000001* · Completed :point_left:" in text
    assert "not placed · Cancelled" in text
    assert message["text"] == "Line (404) 555-3104: Active, 2 order(s) from Slack"
    empty = line_status.line_status_message(LineStatus(service=SERVICE))
    assert "No orders from Slack on this line yet." in all_text(empty)
