"""/offboard-lines in Block Kit (``blocks.offboarding.messages``): what the agent and the
approver see of a leaver's lines, within what Slack accepts (checked as the fake Slack API
refuses payloads, ``bot.slack_standin.block_kit_limits``), however many lines there are."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from blocks.approval.metadata import bundle_metadata, with_metadata
from blocks.offboarding import messages
from bot.domain import LineRequest, OrderForm, RequestState
from bot.mobproc.models import (
    Device,
    DeviceModel,
    Named,
    Plan,
    PropertyDefinition,
    PropertyValue,
    PropertyValueGroup,
    ServiceAsset,
    TransactionType,
)
from bot.offboarding.models import (
    BundleField,
    BundleForm,
    Offboarding,
    OffboardingState,
    OffboardingView,
)
from bot.slack_standin.block_kit_limits import validate_message, validate_view
from bot.slack_standin.fake_web_api import _check_metadata
from tests.support.flow import all_text, buttons

CREATED = datetime(2026, 11, 23, tzinfo=UTC)
ALL_ORDERS = ["XFER_SERVICE_OUT", "DEACTIVATE", "SUSPEND"]
KINDS = [TransactionType.XFER_SERVICE_OUT, TransactionType.DEACTIVATE, TransactionType.SUSPEND]


def line(n: int, actions: list[str] | None = None, device: str = "iPhone 15") -> ServiceAsset:
    """Line ``n``: number 312-555-(0100 + n), id ``41000`` + n."""
    return ServiceAsset(
        id=f"{41000100 + n}", serviceNumber=f"312555{100 + n:04d}", status="ACTIVE",
        plan=Plan(name="Unlimited Plus"),
        device=Device(manufacturer=Named(name="Apple"), model=DeviceModel(name=device)),
        orderActions=ALL_ORDERS if actions is None else actions)


def number(n: int) -> str:
    """Line ``n``'s number as a person in the US reads it."""
    return f"(312) 555-{100 + n:04d}"


def leaver(lines: list[ServiceAsset], state: OffboardingState = OffboardingState.PENDING,
           **changes: Any) -> Offboarding:
    values: dict[str, Any] = dict(
        id="off-1", state=state, requester_id="UAGENT", requester_name="Agnes Agent",
        employee_ref="E1001", employee_name="Lena Leaver", lines=lines, created_at=CREATED)
    values.update(changes)
    return Offboarding(**values)


def order(n: int, kind: TransactionType, state: RequestState = RequestState.PENDING,
          **changes: Any) -> LineRequest:
    values: dict[str, Any] = dict(
        id=f"line-{n}", transaction_type=kind, state=state, requester_id="UAGENT",
        service=line(n), external_order_number=f"SLACK-OFF-{n}", offboarding_id="off-1",
        created_at=CREATED)
    values.update(changes)
    return LineRequest(**values)


def bundle(count: int, state: OffboardingState = OffboardingState.PENDING,
           order_state: RequestState = RequestState.PENDING, **changes: Any
           ) -> OffboardingView:
    """A leaver with ``count`` lines, each with an order (the kinds in turn)."""
    lines = [line(n) for n in range(1, count + 1)]
    return OffboardingView(
        offboarding=leaver(lines, state, **changes),
        orders=[order(n, KINDS[(n - 1) % 3], order_state) for n in range(1, count + 1)])


def actions_blocks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in payload["blocks"] if b["type"] == "actions"]


def inputs(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in view["blocks"] if b["type"] == "input"]


# --- the approval message -------------------------------------------------------------------


def test_the_approval_message_has_one_approve_and_one_cancel_for_the_whole_request() -> None:
    message = messages.approval_message(bundle(3))
    assert validate_message(message) == []
    assert [(b["text"]["text"], b["action_id"], b["value"], b.get("style"))
            for b in buttons(message)] == [
        ("Approve", "approve_offboarding", "off-1", "primary"),
        ("Cancel", "cancel_offboarding", "off-1", None)]
    cancel = buttons(message)[1]
    assert "confirm" in cancel, "a Cancel for every line at once is confirmed first"


def test_the_approval_message_lists_every_line_by_its_number_with_its_order() -> None:
    text = all_text(messages.approval_message(bundle(3)))
    for n, verb in ((1, "transfer"), (2, "deactivate"), (3, "suspend")):
        (listed,) = [t for t in text.splitlines() if number(n) in t]
        assert verb in listed.lower(), listed
    assert "Lena Leaver" in text and "E1001" in text and "<@UAGENT>" in text


def test_the_approval_message_says_how_many_lines_are_left_as_they_are() -> None:
    view = bundle(2)
    view = view.model_copy(update={"offboarding": view.offboarding.model_copy(
        update={"lines": [*view.offboarding.lines, line(3), line(4)]})})
    text = all_text(messages.approval_message(view))
    assert "2 other lines left as they are" in text
    assert number(3) not in text and number(4) not in text


@pytest.mark.parametrize("count", [1, 15, 60, 200])
def test_the_approval_message_of_many_lines_stays_within_slacks_limits_and_keeps_its_buttons(
        count: int) -> None:
    message = messages.approval_message(bundle(count))
    assert validate_message(message) == []
    assert len(message["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in message["blocks"]
               if b["type"] == "section" and "text" in b)
    assert [b["text"]["text"] for b in buttons(message)] == ["Approve", "Cancel"]
    text = all_text(message)
    assert all(number(n) in text for n in range(1, count + 1)), \
        "the approver sees every line they approve"


def test_a_huge_request_with_many_answers_keeps_its_buttons_within_slacks_limits() -> None:
    view = bundle(1000)
    for n, o in enumerate(view.orders):
        o.definitions = [PropertyDefinition(id=f"Q{n}", label=f"Question {n}", type="TEXT")]
        o.properties = [PropertyValueGroup(groupId="G", fields=[
            PropertyValue(id=f"Q{n}", type="TEXT", text=f"answer {n}")])]
    message = messages.approval_message(view)
    assert validate_message(message) == []
    assert len(message["blocks"]) <= 50
    assert [b["text"]["text"] for b in buttons(message)] == ["Approve", "Cancel"]
    assert "answer 0" in all_text(message), "the details are shown, as many as fit"


def test_the_approval_message_escapes_what_a_person_or_mobproc_typed() -> None:
    view = bundle(1, employee_name="<!channel> Lena")
    view.orders[0] = view.orders[0].model_copy(
        update={"service": line(1, device="<https://evil.example|click>")})
    blocks_text = all_text({"blocks": messages.approval_message(view)["blocks"]})
    assert "<!channel>" not in blocks_text and "<https://evil" not in blocks_text
    assert "&lt;!channel&gt; Lena" in blocks_text


def test_the_approval_message_with_its_metadata_is_a_mobproc_line_order_slack_accepts() -> None:
    view = bundle(3)
    message = with_metadata(messages.approval_message(view), bundle_metadata(view, "US"))
    assert message["metadata"]["event_type"] == "mobproc_line_order"
    _check_metadata(message["metadata"])  # raises what Slack would answer
    assert validate_message(message) == []
    assert [e["request_id"] for e in message["metadata"]["event_payload"]["lines"]] == \
        ["line-1", "line-2", "line-3"]


def test_two_approvals_needed_are_counted_in_the_message_with_the_buttons_kept() -> None:
    view = bundle(3).model_copy(update={"approved_by": ("UAPPROVER",), "approvals_required": 2})
    message = messages.approval_message(view)
    assert validate_message(message) == []
    assert "(1 of 2 approvals)" in message["text"]
    assert "<@UAPPROVER>" in all_text(message)
    assert [b["text"]["text"] for b in buttons(message)] == ["Approve", "Cancel"]


@pytest.mark.parametrize(("state", "says"), [
    (OffboardingState.APPROVED, "Approved by <@UAPPROVER>"),
    (OffboardingState.DONE, "Every line's order has ended"),
    (OffboardingState.CANCELLED, "Cancelled by <@UAPPROVER>. Nothing was ordered."),
    (OffboardingState.EXPIRED, "Expired: nobody decided in time. Nothing was ordered."),
])
def test_a_decided_request_renders_without_buttons_and_says_the_decision(
        state: OffboardingState, says: str) -> None:
    message = messages.decided_message(bundle(60, state, decided_by="UAPPROVER"))
    assert validate_message(message) == []
    assert actions_blocks(message) == [] and buttons(message) == []
    assert says in all_text(message)


def test_a_decided_request_shows_each_lines_order_or_mobprocs_refusal() -> None:
    view = bundle(2, OffboardingState.APPROVED, decided_by="UAPPROVER")
    view.orders[0] = view.orders[0].model_copy(update={
        "state": RequestState.SUBMITTED, "order_id": "9000001", "order_status": "IN_PROGRESS"})
    view.orders[1] = view.orders[1].model_copy(update={
        "state": RequestState.FAILED, "error": "Line is under contract"})
    lines = all_text(messages.decided_message(view)).splitlines()
    (first,) = [t for t in lines if number(1) in t]
    (second,) = [t for t in lines if number(2) in t]
    assert "9000001" in first
    assert "refused by MobProc" in second and "Line is under contract" in second


# --- the modals -----------------------------------------------------------------------------


def test_the_choosing_modal_offers_only_the_orders_mobproc_allows_on_each_line() -> None:
    lines = [line(1), line(2, ["SUSPEND"]), line(3, [])]
    view = messages.choose_view(leaver(lines, OffboardingState.CHOOSING), 0)
    assert validate_view(view) == []
    assert view["title"]["text"] == "Offboard lines"
    by_line = {b["block_id"]: [o["value"] for o in b["element"]["options"]]
               for b in inputs(view)}
    assert by_line == {"41000101": ["LEAVE", "XFER_SERVICE_OUT", "DEACTIVATE", "SUSPEND"],
                       "41000102": ["LEAVE", "SUSPEND"]}
    assert "no order is possible on this line now" in all_text(view)
    assert all(number(n) in all_text(view) for n in (1, 2, 3))


def test_the_choosing_modal_shows_the_choice_already_made_for_a_line() -> None:
    chosen = leaver([line(1), line(2)], OffboardingState.CHOOSING,
                    choices={"41000102": "DEACTIVATE"})
    initial = {b["block_id"]: b["element"]["initial_option"]["value"]
               for b in inputs(messages.choose_view(chosen, 0))}
    assert initial == {"41000101": "LEAVE", "41000102": "DEACTIVATE"}


def test_the_choosing_modal_pages_many_lines_each_page_within_slacks_limits() -> None:
    many = leaver([line(n) for n in range(1, 41)], OffboardingState.CHOOSING)
    pages = [messages.choose_view(many, page) for page in range(messages.page_count(many))]
    assert len(pages) == 3
    for view in pages:
        assert validate_view(view) == []
        assert len(view["blocks"]) <= 100
    shown = [b["block_id"] for view in pages for b in inputs(view)]
    assert shown == [f"{41000100 + n}" for n in range(1, 41)], "each line once, in order"
    assert [v["submit"]["text"] for v in pages] == ["Next page", "Next page", "Continue"]
    assert [v["private_metadata"] for v in pages] == ["off-1:0", "off-1:1", "off-1:2"]


def _details(count: int, fields: int) -> BundleForm:
    forms = [OrderForm(request_id=f"line-{n}", transaction_type=KINDS[(n - 1) % 3],
                       service=line(n)) for n in range(1, count + 1)]
    return BundleForm(offboarding_id="off-1", forms=forms, fields=[
        BundleField(key=f"F{i}", definition=PropertyDefinition(
            id=f"F{i}", label=f"Question {i}", type="TEXT", validation="REQUIRED"),
            request_ids=[f.request_id for f in forms])
        for i in range(fields)])


def test_the_details_modal_lists_every_chosen_line_and_asks_each_shared_answer_once() -> None:
    details = messages.details_view(_details(3, 2), leaver([line(n) for n in (1, 2, 3)]))
    assert validate_view(details) == []
    assert details["callback_id"] == "offboard_details"
    assert details["private_metadata"] == "off-1"
    text = all_text(details)
    assert all(number(n) in text for n in (1, 2, 3))
    asked = [b["label"]["text"] for b in inputs(details)]
    assert [label for label in asked if label.startswith("Question")] == \
        ["Question 0", "Question 1"]


@pytest.mark.parametrize("questions", [60, 95])
def test_the_details_modal_of_many_lines_and_questions_keeps_every_question(
        questions: int) -> None:
    details = messages.details_view(_details(120, questions),
                                    leaver([line(n) for n in range(1, 121)]))
    assert validate_view(details) == []
    assert len(details["blocks"]) <= 100
    asked = [b["block_id"] for b in inputs(details)]
    assert [f"F{i}" for i in range(questions)] == [k for k in asked if k.startswith("F")]


def test_the_details_modal_names_each_line_mobproc_refused_with_its_message() -> None:
    details = messages.details_view(
        _details(2, 1), leaver([line(1), line(2)]),
        refusals=[(number(2), "Line is under contract")])
    assert validate_view(details) == []
    (refusal,) = [b for b in details["blocks"] if b.get("block_id") == "offboard_refusals"]
    assert number(2) in refusal["text"]["text"]
    assert "Line is under contract" in refusal["text"]["text"]


def test_the_modals_that_only_tell_have_no_submit_and_pass_slacks_checks() -> None:
    for view in (messages.loading_view(), messages.error_view("No such person <@U1>"),
                 messages.no_lines_view("Lena Leaver"), messages.sent_view(bundle(3))):
        assert validate_view(view) == [] and "submit" not in view
    assert "&lt;@U1&gt;" in all_text(messages.error_view("No such person <@U1>"))


# --- the thread -----------------------------------------------------------------------------


def test_a_line_mobproc_refuses_is_named_with_its_message_and_the_others_go_on() -> None:
    refused = order(2, TransactionType.DEACTIVATE, RequestState.FAILED,
                    error="Line is under contract")
    reply = messages.line_decision_reply(refused)
    assert validate_message(reply) == []
    assert number(2) in reply["text"] and "Line is under contract" in reply["text"]
    assert "the others go on" in reply["text"]


def test_a_placed_lines_reply_names_its_mobproc_order() -> None:
    placed = order(1, TransactionType.SUSPEND, RequestState.SUBMITTED, order_id="9000001",
                   order_status="ORDER_SUBMITTED")
    reply = messages.line_decision_reply(placed)
    assert validate_message(reply) == []
    assert number(1) in reply["text"] and "9000001" in reply["text"]


@pytest.mark.parametrize("count", [3, 200])
def test_the_summary_counts_completed_lines_and_lists_each_within_slacks_limits(
        count: int) -> None:
    view = bundle(count, OffboardingState.DONE, RequestState.COMPLETED)
    for o in view.orders:
        o.order_status = "COMPLETE"
    view.orders[0] = view.orders[0].model_copy(update={
        "state": RequestState.FAILED, "error": "Line is under contract", "order_status": None})
    summary = messages.summary_reply(view)
    assert validate_message(summary) == []
    assert f"{count - 1} of {count} completed" in summary["text"]
    assert "All done" in summary["text"]
    text = all_text(summary)
    assert all(number(n) in text for n in range(1, count + 1))


def test_the_decision_reply_tells_the_requester_unless_they_decided() -> None:
    by_approver = messages.decision_reply(
        bundle(3, OffboardingState.APPROVED, decided_by="UAPPROVER"))
    by_requester = messages.decision_reply(
        bundle(3, OffboardingState.CANCELLED, decided_by="UAGENT"))
    cancelled = messages.decision_reply(
        bundle(3, OffboardingState.CANCELLED, decided_by="UAPPROVER"))
    assert "<@UAGENT>" in by_approver["text"] and "<@UAGENT>" in cancelled["text"]
    assert "Nothing was ordered" in cancelled["text"]
    assert by_requester["text"].count("<@UAGENT>") == 1  # named as who cancelled, not told
    for reply in (by_approver, by_requester, cancelled):
        assert validate_message(reply) == []


@pytest.mark.parametrize("state", [OffboardingState.PENDING, OffboardingState.CANCELLED,
                                   OffboardingState.DONE])
def test_the_notification_text_escapes_names_too(state: OffboardingState) -> None:
    # Slack parses a message's top-level text for the notification: a name must not broadcast.
    view = bundle(1, state, requester_name="<!here> Agnes", employee_name="<!channel> Lena")
    payloads = [messages.approval_message(view) if state is OffboardingState.PENDING
                else messages.decided_message(view)]
    if state is OffboardingState.DONE:
        payloads.append(messages.summary_reply(view))
    for payload in payloads:
        assert "<!channel>" not in payload["text"] and "<!here>" not in payload["text"]
        assert "&lt;!channel&gt; Lena" in payload["text"]
