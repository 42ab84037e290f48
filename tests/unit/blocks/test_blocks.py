"""Each Block Kit builder: what it shows, and that Slack would accept it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from blocks import notices, render
from blocks.approval import message as approval
from blocks.ids import (
    ACKNOWLEDGEMENTS_BLOCK,
    APPROVE_ACTION,
    CANCEL_ACTION,
    FORM_ERROR_BLOCK,
    OTHER_SUFFIX,
)
from blocks.orders import modals, status
from bot.domain import (
    ORDER_KINDS,
    FieldInput,
    FormInput,
    OrderForm,
    RequestState,
    StatusChange,
)
from bot.mobproc.models import (
    AcknowledgementsResponse,
    PropertiesResponse,
    PropertyDefinition,
    PropertyGroup,
    ServiceAsset,
    TransactionType,
)
from bot.slack_standin.block_kit_limits import validate_message, validate_view
from tests.support.examples import SERVICE, load, request
from tests.support.flow import all_text

PUBLISHED = PropertiesResponse.model_validate(load("properties.new_activation.json"))
EXTRA = [
    PropertyDefinition(id="PREFERRED_SUSPENSION_DATE", label="Preferred Suspension Date",
                       type="DATE", validation="REQUIRED", pattern="mm/dd/yyyy",
                       date=datetime(2026, 12, 1, tzinfo=UTC)),
    PropertyDefinition(id="WHY", label="Why", type="CHOICE", validation="OPTIONAL",
                       choices=[{"id": "1", "label": "Lost"},
                                {"id": "9", "label": "Other", "isOther": True}]),
    PropertyDefinition(id="COST_CENTER", label="Cost Center", type="CHOICE",
                       validation="OPTIONAL",
                       choices=[{"id": f"C{n}", "label": f"Center {n}"} for n in range(150)]),
]
ACKS = AcknowledgementsResponse.model_validate(load("acknowledgements.json"))


def the_form(definitions: list[PropertyDefinition] | None = None,
             acks: AcknowledgementsResponse | None = None) -> OrderForm:
    fields = definitions if definitions is not None else (
        PUBLISHED.properties.items[0].fields + EXTRA)
    return OrderForm(request_id="req-1", transaction_type=TransactionType.SUSPEND,
                     service=SERVICE,
                     property_groups=[PropertyGroup(groupId="MISCELLANEOUS", fields=fields)],
                     acknowledgements=acks or AcknowledgementsResponse())


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}


def test_form_has_one_input_per_property_named_by_its_id() -> None:
    view = modals.order_form_view(the_form())
    assert validate_view(view) == []
    blocks = inputs(view)
    for definition in the_form().property_groups[0].fields:
        block = blocks[definition.id]
        assert block["optional"] is (not definition.required)
    assert blocks["PREFERRED_SUSPENSION_DATE"]["element"]["type"] == "datepicker"
    assert blocks["PREFERRED_SUSPENSION_DATE"]["element"]["initial_date"] == "2026-12-01"
    assert blocks["Reason"]["element"]["type"] == "static_select"
    assert blocks["COST_CENTER"]["element"]["type"] == "external_select"
    assert blocks["WHY" + OTHER_SUFFIX]["optional"] is True
    assert "Reason" + OTHER_SUFFIX not in blocks  # no "other" choice, no other box
    contact = blocks["CONTACT_NUMBER"]["element"]
    assert contact["type"] == "plain_text_input" and contact["initial_value"] == "2038599360"
    assert contact["max_length"] == 20
    assert blocks["ADDITIONAL_INSTRUCTIONS"]["element"]["max_length"] == 3000  # 4000 clamped
    assert blocks["PREFERRED_AREA_CODE"]["element"]["min_length"] == 3
    assert view["private_metadata"] == "req-1"
    assert "(404) 555-3104" in all_text(view) and "Barbara Andrews" in all_text(view)


def test_entered_values_and_error_are_shown_again() -> None:
    entered = FormInput(fields={
        "CONTACT_NUMBER": FieldInput(text="2035550000"),
        "Reason": FieldInput(choice_id="2"),
        "WHY": FieldInput(choice_id="9", text="dropped it"),
        "PREFERRED_SUSPENSION_DATE": FieldInput(date="2026-12-24")})
    view = modals.order_form_view(the_form(), entered=entered, error="No <!channel> here")
    blocks = inputs(view)
    assert blocks["CONTACT_NUMBER"]["element"]["initial_value"] == "2035550000"
    assert blocks["Reason"]["element"]["initial_option"]["value"] == "2"
    assert blocks["WHY" + OTHER_SUFFIX]["element"]["initial_value"] == "dropped it"
    assert blocks["PREFERRED_SUSPENSION_DATE"]["element"]["initial_date"] == "2026-12-24"
    error = next(b for b in view["blocks"] if b.get("block_id") == FORM_ERROR_BLOCK)
    assert "&lt;!channel&gt;" in error["text"]["text"]  # escaped: no broadcast
    assert validate_view(view) == []


def test_acknowledgements_are_shown_and_required() -> None:
    view = modals.order_form_view(the_form(acks=ACKS))
    assert validate_view(view) == []
    block = inputs(view)[ACKNOWLEDGEMENTS_BLOCK]
    assert block["optional"] is False
    assert [o["value"] for o in block["element"]["options"]] == [
        a.id for a in ACKS.acknowledgements]
    text = all_text(view)
    for info in ACKS.infoblocks:
        assert info.header is not None and info.header.replace("&", "&amp;") in text


def test_a_huge_form_still_fits_slack() -> None:
    many = [PropertyDefinition(id=f"P{n}", label="L" * 3000, type="TEXT",
                               validation="REQUIRED", maxLength=9000, text="x" * 5000)
            for n in range(120)]
    view = modals.order_form_view(the_form(many, ACKS))
    assert validate_view(view) == []


def test_a_long_choice_list_is_searched_by_what_is_typed_at_most_100_at_a_time() -> None:
    cost_center = EXTRA[2]
    options = modals.choice_options(cost_center, "center 14")
    assert [o["value"] for o in options] == ["C14"] + [f"C{n}" for n in range(140, 150)]
    assert len(modals.choice_options(cost_center, "")) == 100


def test_loading_and_error_modals_have_no_submit_and_escape_the_error() -> None:
    kind = ORDER_KINDS[TransactionType.SUSPEND]
    for view in (modals.loading_view(kind), modals.error_view(kind, "No such line <@U1>")):
        assert validate_view(view) == [] and "submit" not in view
    assert "&lt;@U1&gt;" in all_text(modals.error_view(kind, "No such line <@U1>"))


def test_the_approval_message_has_approve_and_cancel_and_shows_the_order_in_full() -> None:
    message = approval.approval_message(request())
    assert validate_message(message) == []
    buttons = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["text"]["text"], b["action_id"], b["value"], b.get("style")) for b in buttons] == [
        ("Approve", APPROVE_ACTION, "req-1", "primary"), ("Cancel", CANCEL_ACTION, "req-1", None)]
    text = all_text(message)
    for shown in ("Peter Edwards", "iPhone 6 Plus (16GB) gold", "Verizon Wireless",
                  "United States", "Contact Phone Number", "2035559999",
                  "Preferred Suspension Date", "Thu Dec 22, 2016", "Hold Service",
                  "Hold for Peter", "<@URequester>", "SLACK-1", "(404) 555-3104",
                  "*Status when asked*\nActive"):
        assert shown in text, shown
    assert message["text"]


@pytest.mark.parametrize(("state", "expected"), [
    (RequestState.SUBMITTED, "Approved by <@UAPPROVER>"),
    (RequestState.COMPLETED, "MobProc order *9000001*"),
    (RequestState.CANCELLED, "Cancelled by <@UAPPROVER>"),
    (RequestState.FAILED, "MobProc refused the order: Nope"),
])
def test_a_decided_message_has_no_buttons_and_says_how_it_was_decided(
        state: RequestState, expected: str) -> None:
    req = request(state, decided_by="UAPPROVER", decided_at=datetime(2026, 11, 23, tzinfo=UTC),
                  order_id="9000001" if state is not RequestState.CANCELLED else None,
                  order_status="IN_PROGRESS", error="Nope")
    message = approval.decided_message(req)
    assert validate_message(message) == []
    assert not [b for b in message["blocks"] if b["type"] == "actions"]
    assert expected in all_text(message)


def test_requester_notice_links_the_message() -> None:
    notice = approval.requester_notice(request(), "https://x.slack.test/p1")
    assert validate_message(notice) == []
    assert "<https://x.slack.test/p1|" in all_text(notice)


def change(new: str, *, final: bool = False, subject: str = "order") -> StatusChange:
    return StatusChange(request=request(RequestState.SUBMITTED, order_id="9000001"),
                        subject=subject, old_status="ORDER_SUBMITTED", new_status=new,
                        vendor="Verizon", final=final, seen_at=datetime.now(UTC))


def test_status_replies_name_the_new_status_readably_and_say_when_following_stops() -> None:
    progress = status.status_reply(change("IN_PROGRESS"))
    assert "*In progress*" in progress["text"] and "was Order submitted" in progress["text"]
    odd = status.status_reply(change("WEIRD_NEW_STATUS"))
    assert "Weird new status" in odd["text"]
    done = status.status_reply(change("COMPLETE", final=True))
    assert ":white_check_mark:" in done["text"] and "stop following" in done["text"]
    segment = status.status_reply(change("SHIPPED", subject="segment 42"))
    assert "segment 42" in segment["text"] and "Verizon" in segment["text"]
    for reply in (progress, odd, done, segment):
        assert validate_message(reply) == []


def test_replies_and_notices_pass_slacks_checks_and_escape_mobprocs_text() -> None:
    req = request(RequestState.SUBMITTED, decided_by="UAPPROVER", order_id="9000001",
                  order_status="ORDER_SUBMITTED", error="MobProc <said> no")
    replies = [status.submitted_reply(req), status.failure_reply(req),
               status.cancelled_reply(req), status.pending_submission_reply(req),
               notices.refusal("x"), notices.usage(ORDER_KINDS[TransactionType.SUSPEND]),
               notices.not_allowed("approve", "Only approvers."),
               notices.already_decided(req), status.unconfirmed_reply(req)]
    for reply in replies:
        assert validate_message(reply) == []
    assert "9000001" in replies[0]["text"]
    assert "MobProc &lt;said&gt; no" in replies[1]["text"]
    assert "already approved" in replies[7]["text"]
    assert "`SLACK-1`" in replies[8]["text"] and "MobProc &lt;said&gt; no" in replies[8]["text"]


def test_the_text_rendering_shows_buttons_mentions_and_inputs_as_slack_would() -> None:
    message = approval.approval_message(request())
    text = render.to_text(message, {"URequester": "Riley Requester"})
    assert "[Approve] [Cancel]" in text and "@Riley Requester" in text
    url = render.builder_url(message)
    assert url.startswith("https://app.slack.com/block-kit-builder/#")
    view_text = render.to_text(modals.order_form_view(the_form()))
    assert "Contact Phone Number: [2038599360]" in view_text


def test_numbers_follow_the_configured_region() -> None:
    london = ServiceAsset(id="9", serviceNumber="2079460958")
    req = request(service=london, approval_ts="1.1", reminders_sent=1)
    for message in (status.expired_notice(req, region="GB"),
                    status.reminder_reply(req, ["UAPPROVER"], region="GB"),
                    approval.approval_message(req, region="GB")):
        assert "020 7946 0958" in all_text(message)


def test_news_mentions_whoever_asked_unless_they_made_it() -> None:
    by_approver = request(RequestState.CANCELLED, decided_by="UAPPROVER")
    assert "<@URequester>, your request won't go ahead" in status.cancelled_reply(
        by_approver)["text"]
    by_themselves = request(RequestState.CANCELLED, decided_by="URequester")
    assert status.cancelled_reply(by_themselves)["text"].endswith("Nothing was ordered.")
    placed = request(RequestState.SUBMITTED, decided_by="UAPPROVER", order_id="9000001",
                     order_status="ORDER_SUBMITTED")
    assert "<@URequester>, MobProc order *9000001* is placed" in status.submitted_reply(
        placed)["text"]
    # A help-desk order: the agent who filled in the form hears it in the approval thread.
    agent = request(RequestState.SUBMITTED, decided_by="UAPPROVER", entered_by="UAGENT")
    assert "Approved by <@UAPPROVER>. <@UAGENT>," in status.submitted_reply(agent)["text"]
    done = status.status_reply(change("COMPLETE", final=True))
    assert "<@URequester>, the line is suspended" in done["text"]
    rejected = status.status_reply(change("REJECTED", final=True))
    assert ":x:" in rejected["text"]
    assert "<@URequester>, this order ended without being completed" in rejected["text"]


def test_the_approval_messages_notification_text_escapes_the_requesters_name() -> None:
    # Slack parses the top-level text for the notification: a name must not broadcast.
    message = approval.approval_message(request().model_copy(
        update={"requester_name": "<!channel> Agnes"}))
    assert "<!channel>" not in message["text"] and "<!channel>" not in all_text(message)
    assert "&lt;!channel&gt; Agnes" in message["text"]
