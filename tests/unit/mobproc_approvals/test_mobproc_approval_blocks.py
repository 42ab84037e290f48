"""The MobProc approval DM, its Home section and modal, and the thread news, as blocks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from blocks.home.tab import home_view
from blocks.mobproc_approvals import messages as mobproc_approval
from blocks.orders import status
from bot.domain import (
    ApprovalState,
    LineRequest,
    MobProcApproval,
    MobProcDecision,
    RequestState,
    StatusChange,
)
from bot.mobproc.models import (
    Choice,
    ChoiceValue,
    Order,
    PropertyDefinition,
    PropertyValue,
    PropertyValueGroup,
    ServiceAsset,
    TransactionType,
)
from bot.mobproc_approvals.service import Answer, Outcome, reason_problem
from bot.orders.service import Requester
from bot.settings import SettingsError, load_settings
from bot.slack_standin.block_kit_limits import validate_message, validate_view
from handlers.slack.io import company_employee_id
from tests.support.flow import all_text, buttons

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def approval(state: ApprovalState = ApprovalState.WAITING, fields: int = 3,
             approval_id: str = "a1", order: Order | None = None,
             **values: object) -> MobProcApproval:
    order = order or Order.model_validate({
        "orderId": "9000001", "status": "AWAITING_APPROVAL", "transactionType": "DEACTIVATE",
        "serviceNumber": "2125550123", "externalOrderNumber": "PORTAL-1",
        "dateSubmitted": NOW.isoformat(),
        "accountHolder": {"firstName": "James", "lastName": "Chen"},
        "requestedBy": {"firstName": "Pat", "lastName": "<Portal>"},
        "properties": [{"groupId": "MISCELLANEOUS", "fields": [
            {"id": f"F{n}", "type": "TEXT", "label": f"Field {n}", "text": "x" * 2500}
            for n in range(fields)]}]})
    return MobProcApproval(id=approval_id, order_id="9000001", approver_id="UAPPROVER",
                           employee_id="avery@acme.com", state=state, order=order,
                           created_at=NOW, decided_at=NOW, **values)  # type: ignore[arg-type]


def test_the_dm_says_what_for_whom_on_which_line_by_whom_within_slacks_limits() -> None:
    dm = mobproc_approval.approval_dm(approval(fields=300))
    assert validate_message(dm) == []
    text = all_text(dm)
    assert "Deactivation of (212) 555-0123" in text and "for *James Chen*" in text
    assert "asked by *Pat &lt;Portal&gt;*" in text  # MobProc's text can't become markup
    assert [b["text"]["text"] for b in buttons(dm)] == ["Approve", "Reject"]


@pytest.mark.parametrize(("state", "answer", "expected"), [
    (ApprovalState.ANSWERED, "APPROVAL_QUEUED", "MobProc has queued your approval"),
    (ApprovalState.ANSWERED, "REJECTION_QUEUED", "MobProc has queued the rejection"),
    (ApprovalState.ANSWERED, "APPROVAL_NOT_NEEDED", "no longer needs approval"),
    (ApprovalState.ANSWERED, "NOT_ELIGIBLE", "you may not approve this order"),
    (ApprovalState.UNKNOWN, None, "I won't send it again"),
    (ApprovalState.GONE, None, "no longer waits for your approval"),
])
def test_a_decided_dm_has_no_buttons_and_says_why(state: ApprovalState, answer: str | None,
                                                  expected: str) -> None:
    dm = mobproc_approval.approval_dm(approval(state, answer=answer, reason="Too dear"))
    assert validate_message(dm) == []
    assert buttons(dm) == [] and expected in all_text(dm)


def test_not_ready_keeps_the_buttons_and_says_so() -> None:
    dm = mobproc_approval.approval_dm(approval(answer="NOT_READY_FOR_APPROVAL"))
    assert buttons(dm) and "isn't ready for approval yet" in all_text(dm)
    note = mobproc_approval.notice(Answer(Outcome.SENT, approval(
        answer="NOT_READY_FOR_APPROVAL")))
    assert "isn't ready for approval yet" in note["text"]


def test_the_reject_modal_and_the_reason_rules() -> None:
    modal = mobproc_approval.reject_modal(approval())
    assert validate_view(modal) == []
    element = next(b for b in modal["blocks"] if b.get("block_id") == "reason")["element"]
    assert element["max_length"] == 255
    assert reason_problem("REJECT", " ") and reason_problem("REJECT", "x" * 256)
    assert reason_problem("REJECT", "Too dear") is None
    assert reason_problem("APPROVE", None) is None


def test_the_home_shows_waiting_mobproc_approvals_with_the_same_buttons() -> None:
    view = home_view(own=[], waiting=None, decided=[],
                     mobproc=[approval(approval_id=f"a{n}") for n in range(12)])
    assert validate_view(view) == []
    assert "Waiting for your approval in MobProc" in all_text(view)
    actions = [e["action_id"] for b in view["blocks"] if b["type"] == "actions"
               for e in b["elements"]]
    assert actions.count("mobproc_approve") == 10 and actions.count("mobproc_reject") == 10
    assert "2 more in your direct messages" in all_text(view)
    assert "in MobProc" not in all_text(home_view(own=[], waiting=None, decided=[]))


def _change(old: str | None, new: str, decision: MobProcDecision | None) -> StatusChange:
    request = LineRequest(
        id="r1", transaction_type=TransactionType.SUSPEND, state=RequestState.SUBMITTED,
        requester_id="URequester", service=ServiceAsset(id="1", serviceNumber="4045553104"),
        external_order_number="SLACK-1", created_at=NOW, order_id="9000003",
        mobproc_decision=decision)
    return StatusChange(request=request, subject="order", old_status=old, new_status=new,
                        seen_at=NOW, final=new == "REJECTED")


def test_thread_news_of_mobprocs_own_approval() -> None:
    waiting = status.status_reply(_change("ORDER_SUBMITTED", "AWAITING_APPROVAL", None))
    assert "waiting for approval in MobProc" in waiting["text"]
    by_slack = status.status_reply(_change("AWAITING_APPROVAL", "IN_PROGRESS", MobProcDecision(
        action="APPROVE", by_slack_user="UAPPROVER", by_name="Avery Approver")))
    assert "approved in MobProc by <@UAPPROVER>; it is now *In progress*" in by_slack["text"]
    unknown = status.status_reply(_change("AWAITING_APPROVAL", "IN_PROGRESS", None))
    assert "left MobProc's approval" in unknown["text"]


def test_the_employee_id_mapping_is_a_setting() -> None:
    riley = Requester("URequester", "Riley", "riley@acme.com")
    assert company_employee_id(riley, "email") == "riley@acme.com"
    assert company_employee_id(riley, "email_local_part") == "riley"
    assert company_employee_id(Requester("U1", None, None), "email") is None
    assert load_settings(EMPLOYEE_ID_FROM="Email_Local_Part").EMPLOYEE_ID_FROM == \
        "email_local_part"
    with pytest.raises(SettingsError, match="EMPLOYEE_ID_FROM"):
        load_settings(EMPLOYEE_ID_FROM="badge_number")
    with pytest.raises(SettingsError, match=r"SIMULATOR_APPROVAL_TYPES: .*PIZZA"):
        load_settings(SIMULATOR_APPROVAL_TYPES="suspend,PIZZA")
    assert load_settings(SIMULATOR_APPROVAL_TYPES="suspend").SIMULATOR_APPROVAL_TYPES == \
        ["SUSPEND"]


def test_the_dm_shows_choice_labels_from_mobprocs_definitions_and_unknown_ids_as_they_are(
        ) -> None:
    order = approval().order.model_copy(update={"properties": [PropertyValueGroup(
        groupId="MISCELLANEOUS", fields=[
            PropertyValue(id="Reason", type="CHOICE", choice=ChoiceValue(id="3")),
            PropertyValue(id="HOLD", type="CHOICE", label="Hold",
                          choice=ChoiceValue(id="7")),
            PropertyValue(id="WHY", type="CHOICE", choice=ChoiceValue(id="9",
                                                                      otherText="<dropped>"))])]})
    definitions = [
        PropertyDefinition(id="Reason", label="Reason", type="CHOICE",
                           choices=[Choice(id="3", label="Leave of absence")]),
        PropertyDefinition(id="HOLD", label="Hold", type="CHOICE",
                           choices=[Choice(id="1", label="90 days")]),
        PropertyDefinition(id="WHY", label="Why", type="CHOICE",
                           choices=[Choice(id="9", label="Other", isOther=True)])]
    text = all_text(mobproc_approval.approval_dm(approval(order=order, definitions=definitions)))
    assert "*Reason*\nLeave of absence" in text  # the field's label from its definition too
    assert "*Hold*\n7" in text  # no such choice: the id, as MobProc gave it
    assert "*Why*\nOther: &lt;dropped&gt;" in text
    # Without definitions (MobProc couldn't say): ids.
    assert "*Reason*\n3" in all_text(mobproc_approval.approval_dm(approval(order=order)))
