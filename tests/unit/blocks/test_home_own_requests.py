""""Your requests" in the App Home (``blocks.home.tab``): a leaver's request is one entry
among the single requests, newest first, with its state in words, its thread and, while it
waits for approval, a Cancel of the whole request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from blocks.home import tab as home
from blocks.ids import HOME_CANCEL_ACTION, HOME_OFFBOARD_CANCEL_ACTION
from bot.domain import LineRequest, RequestState
from bot.mobproc.models import TransactionType
from bot.offboarding.models import Offboarding, OffboardingState, OffboardingView
from bot.slack_standin.block_kit_limits import validate_view
from tests.support.examples import SERVICE, request
from tests.support.flow import all_text
from tests.support.home import section_blocks

START = datetime(2026, 11, 1, tzinfo=UTC)
LINK = "https://acme.slack.com/archives/CAPPROVALS/p100"


def leavers_request(n_lines: int = 3, state: OffboardingState = OffboardingState.PENDING,
                    *, line_states: list[RequestState] | None = None, hours: int = 0,
                    link: str | None = LINK, approval_ts: str | None = "100.0",
                    oid: str = "off-1") -> OffboardingView:
    states = line_states or [RequestState.PENDING] * n_lines
    orders = [LineRequest(
        id=f"{oid}-line-{i}", transaction_type=TransactionType.SUSPEND, state=states[i],
        requester_id="UAGENT", service=SERVICE, external_order_number=f"SLACK-{oid}-{i}",
        offboarding_id=oid, created_at=START + timedelta(hours=hours),
        approval_permalink=link) for i in range(n_lines)]
    return OffboardingView(offboarding=Offboarding(
        id=oid, state=state, requester_id="UAGENT", employee_ref="E1001",
        employee_name="Lena Leaver", approval_channel="CAPPROVALS", approval_ts=approval_ts,
        approval_permalink=link, created_at=START + timedelta(hours=hours)), orders=orders)


def test_a_pending_leavers_request_is_one_entry_with_a_cancel_of_the_whole_request() -> None:
    view = home.home_view(own=[], waiting=None, decided=[], own_bundles=[leavers_request()])
    assert validate_view(view) == []
    (entry,) = section_blocks(view, "Your requests")
    text = entry["text"]["text"]
    assert "*Offboarding* 3 lines of *Lena Leaver*" in text
    assert "Waiting for approval" in text and f"<{LINK}|thread>" in text
    cancel = entry["accessory"]
    assert (cancel["action_id"], cancel["value"], cancel["text"]["text"]) == (
        HOME_OFFBOARD_CANCEL_ACTION, "off-1", "Cancel request")
    assert cancel["confirm"]["text"]["text"] == "Nothing will be ordered."
    assert "no line orders yet" not in all_text(view)


def test_a_cancel_as_soon_as_it_waits_even_before_its_message_is_out_none_once_decided(
        ) -> None:
    # Its cancel takes a still queued approval message off the queue (as a single
    # request's does), so it needs no message out first.
    unposted = leavers_request(approval_ts=None, link=None)
    decided = [leavers_request(1, state, oid=f"off-{state.value}", hours=1)
               for state in (OffboardingState.CANCELLED, OffboardingState.EXPIRED,
                             OffboardingState.APPROVED, OffboardingState.DONE)]
    view = home.home_view(own=[], waiting=None, decided=[], own_bundles=[unposted, *decided])
    assert validate_view(view) == []
    entries = section_blocks(view, "Your requests")
    assert [e["accessory"]["value"] for e in entries if "accessory" in e] == ["off-1"]
    assert entries[-1]["accessory"]["action_id"] == HOME_OFFBOARD_CANCEL_ACTION
    assert "|thread>" not in entries[-1]["text"]["text"]  # the unposted one, oldest
    assert "1 line of" in entries[0]["text"]["text"]  # one line, not "1 lines"


def test_its_state_in_words() -> None:
    def words(bundle: OffboardingView) -> str:
        (entry,) = section_blocks(home.home_view(own=[], waiting=None, decided=[],
                                                 own_bundles=[bundle]), "Your requests")
        return str(entry["text"]["text"])

    assert "Cancelled · nothing was ordered" in words(
        leavers_request(2, OffboardingState.CANCELLED))
    assert "Expired · nobody decided in time" in words(
        leavers_request(2, OffboardingState.EXPIRED))
    assert "Approved · 1 of 3 orders ended" in words(leavers_request(
        3, OffboardingState.APPROVED, line_states=[RequestState.COMPLETED,
                                                   RequestState.SUBMITTED,
                                                   RequestState.APPROVED]))
    assert "Done · 2 of 3 orders completed" in words(leavers_request(
        3, OffboardingState.DONE, line_states=[RequestState.COMPLETED, RequestState.FAILED,
                                               RequestState.COMPLETED]))


def test_single_and_leavers_requests_are_merged_newest_first_within_one_budget() -> None:
    singles = [request(RequestState.PENDING, id=f"r{i}", created_at=START + timedelta(hours=2 * i))
               for i in range(home.MAX_OWN)]
    bundles = [leavers_request(2, hours=2 * i + 1, oid=f"off-{i}") for i in range(home.MAX_OWN)]
    view = home.home_view(own=singles, waiting=None, decided=[], own_bundles=bundles)
    assert validate_view(view) == []
    entries = section_blocks(view, "Your requests")
    assert len(entries) == home.MAX_OWN
    asked = sorted([*((r.created_at, r.id) for r in singles),
                    *((b.offboarding.created_at, b.offboarding.id) for b in bundles)],
                   reverse=True)
    assert [e["accessory"]["value"] for e in entries] == \
        [subject for _, subject in asked[:home.MAX_OWN]]
    actions = {e["accessory"]["action_id"] for e in entries}
    assert actions == {HOME_CANCEL_ACTION, HOME_OFFBOARD_CANCEL_ACTION}


def _latest_decisions(view: dict[str, Any]) -> list[str]:
    return [b["elements"][0]["text"] for b in section_blocks(view, "Latest decisions")]


def test_a_decided_leavers_request_is_one_latest_decision_not_one_per_line() -> None:
    approved = leavers_request(state=OffboardingState.APPROVED, line_states=[
        RequestState.COMPLETED, RequestState.SUBMITTED, RequestState.SUBMITTED])
    approved = approved.model_copy(update={"offboarding": approved.offboarding.model_copy(
        update={"decided_by": "UAPPROVER"})})
    view = home.home_view(own=[], waiting=None, decided=[approved])
    assert validate_view(view) == []
    assert _latest_decisions(view) == [
        f"Offboarding 3 lines of *Lena Leaver*: Approved · 1 of 3 orders ended by "
        f"<@UAPPROVER> · <{LINK}|thread>"]
