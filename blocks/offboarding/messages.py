"""/offboard-lines in Block Kit: the modal choosing an order per line, the modal of the
orders' details, the one approval message, and the thread's news. Pure, no I/O."""

from __future__ import annotations

from typing import Any

from blocks.approval.message import (
    approval_progress_reply,
    approvals_status,
    decision_actions,
    reminder_progress,
    warnings_count,
    warnings_section,
)
from blocks.approval.summary import property_text
from blocks.ids import (
    FORM_ERROR_BLOCK,
    OFFBOARD_APPROVE_ACTION,
    OFFBOARD_CANCEL_ACTION,
    OFFBOARD_CHOOSE_CALLBACK,
    OFFBOARD_DETAILS_CALLBACK,
    OFFBOARD_REFUSALS_BLOCK,
)
from blocks.line import line_number
from blocks.notices import approval_fix
from blocks.orders.modals import acknowledgement_blocks, property_blocks
from blocks.text import (
    INPUT_LABEL,
    MESSAGE_BLOCKS,
    MODAL_BLOCKS,
    MODAL_TITLE,
    OPTION_TEXT,
    SECTION_TEXT,
    context,
    escape_mrkdwn,
    fields_section,
    header,
    plain,
    section,
)
from bot.domain import (
    ORDER_KINDS,
    FormInput,
    LineRequest,
    OrderForm,
    OrderKind,
    RequestState,
    StatusChange,
    humanize_status,
)
from bot.mobproc.models import ServiceAsset, TransactionType
from bot.offboarding.models import (
    LEAVE_AS_IS,
    BundleForm,
    Offboarding,
    OffboardingState,
    OffboardingView,
)

TITLE = "Offboard lines"
CHOICE_ACTION = "choice"
# A page of the choosing modal: one input per line keeps far under Slack's 100 blocks, and
# a page of this size is still easy to read.
LINES_PER_PAGE = 15
# Room kept in a 50-block message for the header, intro, details, reference and buttons.
MAX_LINE_SECTIONS = 20


def _modal(blocks: list[dict[str, Any]], *, callback_id: str | None = None,
           private_metadata: str = "", submit: str | None = None, close: str = "Close"
           ) -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "title": plain(TITLE, MODAL_TITLE),
                            "close": plain(close, MODAL_TITLE), "blocks": blocks[:MODAL_BLOCKS]}
    if submit and callback_id:
        view["submit"] = plain(submit, MODAL_TITLE)
        view["callback_id"] = callback_id
        view["private_metadata"] = private_metadata
    return view


def loading_view(text: str = "Looking up the lines in MobProc…") -> dict[str, Any]:
    return _modal([section(f":hourglass_flowing_sand: {escape_mrkdwn(text)}")])


def error_view(message: str) -> dict[str, Any]:
    return _modal([section(f":warning: {escape_mrkdwn(message)}"),
                   context("Nothing was ordered. Run `/offboard-lines` again when you're "
                           "ready.")])


def no_lines_view(who: str) -> dict[str, Any]:
    return _modal([section(f"MobProc has no lines for *{escape_mrkdwn(who)}*, so there is "
                           "nothing to offboard."),
                   context("Nothing was ordered. If you expected lines, check the person's "
                           "e-mail address or company employee id in MobProc.")])


def usage() -> dict[str, Any]:
    text = ("Usage: `/offboard-lines @person` (or their e-mail address, or their company "
            "employee id): lists every line MobProc has for them, to deactivate, transfer or "
            "suspend each in one request.")
    return {"text": text, "blocks": [section(text)]}


def _who(offboarding: Offboarding) -> str:
    return escape_mrkdwn(offboarding.employee_name or offboarding.employee_ref)


def _device(line: ServiceAsset) -> str:
    return line.device.display_name if line.device else "Unknown device"


def _plan(line: ServiceAsset) -> str:
    return line.plan.name if line.plan and line.plan.name else "no plan"


def _kinds(line: ServiceAsset) -> list[OrderKind]:
    return [ORDER_KINDS[TransactionType(a)] for a in line.orderActions
            if a in TransactionType.__members__]


def _choice_label(kind: OrderKind) -> str:
    return kind.verb[:1].upper() + kind.verb[1:]


def page_count(offboarding: Offboarding) -> int:
    return max(1, -(-len(offboarding.lines) // LINES_PER_PAGE))


def choose_view(offboarding: Offboarding, page: int, *, region: str = "US",
                error: str | None = None) -> dict[str, Any]:
    """One page of lines, each with a choice among the orders MobProc allows on it."""
    pages = page_count(offboarding)
    lines = offboarding.lines[page * LINES_PER_PAGE:(page + 1) * LINES_PER_PAGE]
    blocks: list[dict[str, Any]] = []
    if error:
        blocks.append(section(f":warning: {escape_mrkdwn(error)}", block_id=FORM_ERROR_BLOCK))
    blocks.append(section(f"*{_who(offboarding)}* holds {len(offboarding.lines)} "
                          f"line{'s' if len(offboarding.lines) != 1 else ''} in MobProc. "
                          "Choose what to do with each; nothing is ordered before an "
                          "approver agrees."))
    if pages > 1:
        blocks.append(context(f"Page {page + 1} of {pages}"))
    for line in lines:
        facts = (f"{line_number(line, region)} · {_device(line)} · {_plan(line)} · "
                 f"{humanize_status(line.status)}")
        kinds = _kinds(line)
        if not kinds:
            blocks.append(context(f"{escape_mrkdwn(facts)}: no order is possible on this "
                                  "line now."))
            continue
        options = [{"text": plain("Leave as is", OPTION_TEXT), "value": LEAVE_AS_IS}]
        options += [{"text": plain(_choice_label(k), OPTION_TEXT),
                     "value": k.transaction_type.value} for k in kinds]
        chosen = offboarding.choices.get(line.id, LEAVE_AS_IS)
        initial = next((o for o in options if o["value"] == chosen), options[0])
        blocks.append({"type": "input", "block_id": line.id,
                       "label": plain(facts, INPUT_LABEL),
                       "element": {"type": "static_select", "action_id": CHOICE_ACTION,
                                   "options": options, "initial_option": initial}})
    last = page + 1 >= pages
    return _modal(blocks, callback_id=OFFBOARD_CHOOSE_CALLBACK,
                  private_metadata=f"{offboarding.id}:{page}",
                  submit="Continue" if last else "Next page", close="Cancel")


def _order_line(form_or_request: OrderForm | LineRequest, region: str) -> str:
    kind = ORDER_KINDS[form_or_request.transaction_type]
    line = form_or_request.service
    return (f"• *{line_number(line, region)}* · {escape_mrkdwn(_device(line))} · "
            f"{escape_mrkdwn(_plan(line))}: *{kind.verb}*")


def _chunks(lines: list[str], limit: int = SECTION_TEXT) -> list[dict[str, Any]]:
    """Lines of text as few sections as Slack's 3000-character limit allows."""
    sections: list[dict[str, Any]] = []
    current = ""
    for text in lines:
        if current and len(current) + 1 + len(text) > limit:
            sections.append(section(current))
            current = ""
        current = f"{current}\n{text}" if current else text
    if current:
        sections.append(section(current))
    return sections


def details_view(bundle: BundleForm, offboarding: Offboarding, *,
                 entered: FormInput | None = None, refusals: list[tuple[str, str]] | None = None,
                 error: str | None = None, region: str = "US") -> dict[str, Any]:
    """Every chosen order's properties, each shared one asked once."""
    entered = entered or FormInput()
    top: list[dict[str, Any]] = []
    if error:
        top.append(section(f":warning: {escape_mrkdwn(error)}", block_id=FORM_ERROR_BLOCK))
    if refusals:
        text = "\n".join(f"• *{escape_mrkdwn(line)}*: {escape_mrkdwn(message)}"
                         for line, message in refusals)
        top.append(section(f":warning: *MobProc refused these lines' orders:*\n{text}"
                           "\nYour answers are kept: correct them and send again, or close "
                           "this form and leave those lines as is.",
                           block_id=OFFBOARD_REFUSALS_BLOCK))
    top.append(section(f"Orders for *{_who(offboarding)}*'s lines:"))
    top.extend(_chunks([_order_line(f, region) for f in bundle.forms])[:MAX_LINE_SECTIONS])
    merged = OrderForm(request_id=bundle.offboarding_id,
                       transaction_type=bundle.forms[0].transaction_type,
                       service=bundle.forms[0].service, acknowledgements=bundle.acknowledgements)
    acks = acknowledgement_blocks(merged, entered)
    inputs: list[dict[str, Any]] = []
    for field in bundle.fields:
        inputs.extend(property_blocks(field.definition, entered.fields.get(field.key)))
    if inputs or acks:
        top.append(context("Answers given once apply to every order they are asked for."))
    blocks = [*top, {"type": "divider"}, *acks, *inputs]
    if len(blocks) > MODAL_BLOCKS:
        # Info paragraphs are the least needed: keep every input a person must answer.
        blocks = top + [b for b in acks if b.get("type") == "input"] + inputs
    return _modal(blocks, callback_id=OFFBOARD_DETAILS_CALLBACK,
                  private_metadata=bundle.offboarding_id, submit="Send for approval",
                  close="Cancel")


def sent_view(view: OffboardingView) -> dict[str, Any]:
    n = len(view.orders)
    return _modal([section(f":inbox_tray: The {n} order{'s' if n != 1 else ''} for "
                           f"*{_who(view.offboarding)}*'s lines went to an approver. I'll post "
                           "each line's progress in the thread of the approval message.")])


# --- the approval message -------------------------------------------------------------------


def _details(orders: list[LineRequest]) -> list[tuple[str, str]]:
    """Each distinct answer once: shared answers were given once for all lines."""
    seen: dict[tuple[str, str], None] = {}
    for order in orders:
        definitions = {d.id: d for d in order.definitions}
        for group in order.properties:
            for value in group.fields:
                definition = definitions.get(value.id)
                if definition is not None and definition.text and \
                        "".join(c for c in definition.text if c.isdigit()) == \
                        "".join(c for c in order.service.serviceNumber if c.isdigit()):
                    continue  # the line's own number: already in the list
                label = definition.display_label if definition else value.id
                if len({o.transaction_type for o in orders}) > 1 and label.lower() == "reason":
                    label = f"{label} ({order.kind.noun})"
                seen.setdefault((escape_mrkdwn(label), property_text(value, definition)))
    return list(seen)


def _status_of(order: LineRequest) -> str:
    if order.state is RequestState.FAILED:
        return f":x: refused by MobProc: {escape_mrkdwn(order.error or 'no reason given')}"
    if order.state is RequestState.CANCELLED:
        return "cancelled"
    if order.order_id:
        return (f"order *{escape_mrkdwn(order.order_id)}* · "
                f"{humanize_status(order.order_status)}")
    if order.state in (RequestState.APPROVED, RequestState.SUBMITTING):
        return "being placed with MobProc"
    return ""


def _message_blocks(view: OffboardingView, region: str, *, title: str, statuses: bool,
                    warned: bool = False) -> list[dict[str, Any]]:
    o = view.offboarding
    n = len(view.orders)
    blocks: list[dict[str, Any]] = [header(title)]
    blocks.append(section(f"<@{o.requester_id}> asks to act on {n} "
                          f"line{'s' if n != 1 else ''} held by *{_who(o)}* "
                          f"(`{escape_mrkdwn(o.employee_ref)}`):"))
    lines = []
    for order in view.orders:
        text = _order_line(order, region)
        status = _status_of(order) if statuses else ""
        lines.append(f"{text} — {status}" if status else text)
    blocks.extend(_chunks(lines)[:MAX_LINE_SECTIONS])
    left = len(o.lines) - n
    if left:
        blocks.append(context(f"{left} other line{'s' if left != 1 else ''} left as "
                              f"{'they are' if left != 1 else 'it is'}."))
    warnings = [(o, view.warnings[o.id]) for o in view.orders if view.warnings.get(o.id)]
    if warned and warnings:
        # Under the lines, as a single request's are under its order: each under its line.
        blocks.append(warnings_section(warnings, region, name_lines=True))
    details = _details(view.orders)
    if details:
        blocks.append(section("*Order details*"))
        room = MESSAGE_BLOCKS - len(blocks) - 4
        blocks.extend(fields_section(details)[:max(room, 0)])
    accepted = sorted({a for order in view.orders for a in order.acknowledged})
    if accepted:
        blocks.append(section(":ballot_box_with_check: The requester accepted: "
                              + ", ".join(f"`{escape_mrkdwn(a)}`" for a in accepted)))
    return blocks


def approval_message(view: OffboardingView, *, region: str = "US") -> dict[str, Any]:
    o = view.offboarding
    blocks = _message_blocks(view, region, title="Offboarding — approval needed",
                             statuses=False, warned=True)
    # Who approved so far, in the block it shares with who asked: a long list of lines
    # leaves room for just these last blocks.
    status = approvals_status(view.approved_by, view.approvals_required)
    blocks.append(context(f"{status + chr(10) if status else ''}"
                          f"Requested by <@{o.requester_id}> · Approve places one MobProc "
                          "order per line, each once"))
    blocks.append(decision_actions(o.id, OFFBOARD_APPROVE_ACTION, OFFBOARD_CANCEL_ACTION,
                                   "Nothing will be ordered for any line."))
    who = escape_mrkdwn(o.requester_name) or "Someone"
    text = f"{who} asks to act on {len(view.orders)} lines held by {_who(o)}: approval needed"
    if view.approvals_required > 1:
        text += f" ({len(view.approved_by)} of {view.approvals_required} approvals)"
    text += warnings_count(sum(len(w) for w in view.warnings.values()))
    return {"text": text, "blocks": blocks[:MESSAGE_BLOCKS]}


def _decision_line(o: Offboarding) -> str:
    who = f"<@{o.decided_by}>" if o.decided_by else "someone"
    if o.state is OffboardingState.CANCELLED:
        return f":no_entry_sign: Cancelled by {who}. Nothing was ordered."
    if o.state is OffboardingState.EXPIRED:
        return ":hourglass: Expired: nobody decided in time. Nothing was ordered."
    if o.state is OffboardingState.DONE:
        return f":white_check_mark: Approved by {who}. Every line's order has ended."
    return f":white_check_mark: Approved by {who}. Each line's order is placed and followed."


def decided_message(view: OffboardingView, *, region: str = "US") -> dict[str, Any]:
    o = view.offboarding
    blocks = _message_blocks(view, region, title="Offboarding", statuses=True)
    blocks.append(section(_decision_line(o)))
    state = {OffboardingState.CANCELLED: "cancelled",
             OffboardingState.EXPIRED: "expired"}.get(o.state, "approved")
    text = f"Offboarding of {_who(o)}'s lines {state}"
    return {"text": text, "blocks": blocks[:MESSAGE_BLOCKS]}


def requester_notice(view: OffboardingView, permalink: str | None) -> dict[str, Any]:
    where = f"<{permalink}|approval request>" if permalink else "approval request"
    text = (f":inbox_tray: Your request for {_who(view.offboarding)}'s "
            f"{len(view.orders)} line(s) is waiting for an approver. I'll post each line's "
            f"progress in the thread of the {where}.")
    return {"text": text.replace(":inbox_tray: ", ""), "blocks": [section(text)]}


def approval_refused_notice(view: OffboardingView, channel: str, error: str
                            ) -> dict[str, Any]:
    """Slack refused the approval message for good: the request was cancelled."""
    text = (f":warning: I couldn't post your request for {_who(view.offboarding)}'s "
            f"{len(view.orders)} line(s) for approval, so it was cancelled and nothing was "
            f"ordered. {approval_fix(channel, escape_mrkdwn(error))}")
    return {"text": text.replace(":warning: ", ""), "blocks": [section(text)]}


# --- the thread ---------------------------------------------------------------------------


def _reply(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": _chunks([text])}


def _line(order: LineRequest, region: str) -> str:
    return f"*{line_number(order.service, region)}* ({order.kind.noun})"


def decision_reply(view: OffboardingView) -> dict[str, Any]:
    o = view.offboarding
    who = f"<@{o.decided_by}>" if o.decided_by else "someone"
    if o.state is OffboardingState.CANCELLED:
        tell = "" if o.decided_by == o.requester_id else f" <@{o.requester_id}>, it won't go ahead."
        return _reply(f":no_entry_sign: Cancelled by {who}. Nothing was ordered for any "
                      f"line.{tell}")
    tell = "" if o.decided_by == o.requester_id else f"<@{o.requester_id}>, "
    return _reply(f":white_check_mark: Approved by {who}. {tell}each line's order is being "
                  "placed with MobProc; I'll post each one's progress here.")


def reminder_reply(view: OffboardingView, approvers: list[str]) -> dict[str, Any]:
    """Re-announces a waiting request to the approvers (users and user groups)."""
    o = view.offboarding
    who = " ".join(f"<!subteam^{a}>" if a.startswith("S") else f"<@{a}>" for a in approvers)
    progress = reminder_progress(view.approved_by, view.approvals_required)
    return _reply(f":bell: {who or 'Approvers'}: the request from <@{o.requester_id}> for "
                  f"{_who(o)}'s {len(view.orders)} line(s) is still waiting for a decision "
                  f"(reminder {o.reminders_sent}).{' ' + progress if progress else ''}")


def progress_reply(view: OffboardingView) -> dict[str, Any]:
    """The thread's news when an approval lands and more are needed."""
    return approval_progress_reply(view.approved_by, view.approvals_required)


def expired_notice(view: OffboardingView) -> dict[str, Any]:
    o = view.offboarding
    return _reply(f":hourglass: <@{o.requester_id}>, nobody decided on the request for "
                  f"{_who(o)}'s lines in time, so it expired and nothing was ordered. Run "
                  "`/offboard-lines` again if it is still needed.")


def line_decision_reply(order: LineRequest, *, region: str = "US") -> dict[str, Any]:
    """A line's order placed, refused, or not yet confirmed."""
    line = _line(order, region)
    if order.state is RequestState.FAILED:
        return _reply(f":x: {line}: MobProc refused the order: "
                      f"{escape_mrkdwn(order.error or 'no reason given')}. Nothing was ordered "
                      "for this line; the others go on.")
    if order.order_id:
        return _reply(f":white_check_mark: {line}: MobProc order "
                      f"*{escape_mrkdwn(order.order_id)}* placed; status: "
                      f"*{humanize_status(order.order_status)}*.")
    if order.state is RequestState.SUBMITTING and order.error:
        return _reply(f":warning: {line}: MobProc's answer was lost and MobProc won't say "
                      f"whether the order exists ({escape_mrkdwn(order.error)}). I won't send "
                      f"it again blind. Reference `{order.external_order_number}`.")
    return _reply(f":hourglass_flowing_sand: {line}: MobProc isn't answering just now; I'll "
                  "keep at it (it will never be placed twice).")


def line_status_reply(change: StatusChange, *, region: str = "US") -> dict[str, Any]:
    order = change.request
    where = "" if change.subject == "order" else f" ({escape_mrkdwn(change.vendor or 'vendor')})"
    mark = ":white_check_mark:" if change.final and change.new_status.upper() == "COMPLETE" \
        else ":arrows_counterclockwise:"
    return _reply(f"{mark} {_line(order, region)}{where}: "
                  f"*{humanize_status(change.new_status)}*")


def summary_reply(view: OffboardingView, *, region: str = "US") -> dict[str, Any]:
    o = view.offboarding
    lines = []
    for order in view.orders:
        ok = order.state is RequestState.COMPLETED and \
            (order.order_status or "").upper() == "COMPLETE"
        mark = ":white_check_mark:" if ok else ":x:"
        lines.append(f"{mark} {_line(order, region)}: {_status_of(order) or 'ended'}")
    done = sum(1 for order in view.orders if order.state is RequestState.COMPLETED
               and (order.order_status or "").upper() == "COMPLETE")
    head = (f"*All done* for {_who(o)}'s lines, <@{o.requester_id}>: {done} of "
            f"{len(view.orders)} completed.")
    return {"text": f"All done for {_who(o)}'s lines: {done} of "
                    f"{len(view.orders)} completed.",
            "blocks": _chunks([head, *lines])[:MESSAGE_BLOCKS]}
