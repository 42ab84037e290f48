"""The news every request tells once decided, expired, reminded or approved in part
(``handlers.approval.news``): the same shapes for a single-line request and a leaver's
``/offboard-lines`` request, each checked through both kinds so either losing a piece of
news fails here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

import pytest

from blocks.approval.metadata import bundle_metadata, line_order_metadata
from bot.context import BotContext
from bot.domain import RequestState
from bot.offboarding.models import OffboardingState
from bot.storage.outbox_queue import OutboxMessage
from handlers.approval import news
from tests.support.examples import bundle, request

CTX = cast(BotContext, SimpleNamespace(settings=SimpleNamespace(
    DEFAULT_REGION="US", APPROVERS=["UAPPROVER"], APPROVAL_TTL_HOURS=48)))
CHANNEL, TS = "CAPPROVALS", "1700000000.000100"
POSTED = {"approval_channel": CHANNEL, "approval_ts": TS}


@dataclass(frozen=True)
class Kind:
    """One kind of request, built in a request state (``ended``: cancelled or expired)."""

    name: str
    requester: str
    build: Callable[..., news.Told]  # (ended, posted, step) → the request as news tells it
    metadata: Callable[[bool, bool], dict[str, Any]]  # (ended, posted) → what it carries


def _single(ended: str | None = None, posted: bool = True, step: bool = False) -> news.Told:
    return news.of_request(CTX, _request(ended, posted, step))


def _request(ended: str | None, posted: bool, step: bool) -> Any:
    state = RequestState(ended) if ended else RequestState.PENDING
    return request(state, approved_by=["UAPPROVER"], approvals_required=2,
                   **(POSTED if posted else {}),
                   **({"workflow_execution_id": "Fx1"} if step else {}))


def _leaver(ended: str | None = None, posted: bool = True, step: bool = False) -> news.Told:
    return news.of_leaver(CTX, _view(ended, posted, step))


def _view(ended: str | None, posted: bool, step: bool) -> Any:
    state = OffboardingState(ended) if ended else OffboardingState.PENDING
    view = bundle(state, RequestState.PENDING, **(POSTED if posted else {}),
                  **({"workflow_execution_id": "Fx1"} if step else {}))
    return view.model_copy(update={"approved_by": ("UAPPROVER",), "approvals_required": 2})


SINGLE = Kind("single", "URequester", _single,
              lambda ended, posted: line_order_metadata(
                  _request(ended, posted, False), "US"))
LEAVER = Kind("leaver", "UAGENT", _leaver,
              lambda ended, posted: bundle_metadata(_view(ended, posted, False), "US"))
KINDS = pytest.mark.parametrize("kind", [SINGLE, LEAVER], ids=lambda k: k.name)


def _shape(calls: list[OutboxMessage]) -> list[tuple[str, str | None, bool]]:
    """Each call as (method, where, threaded)."""
    return [(c.method, c.args.get("channel") or c.args.get("function_execution_id"),
             "thread_ts" in c.args) for c in calls]


def _dm(calls: list[OutboxMessage], requester: str) -> list[OutboxMessage]:
    return [c for c in calls if c.method == "chat.postMessage" and c.args["channel"] == requester]


@KINDS
def test_an_expiry_tells_the_requester_updates_the_message_and_says_why_in_its_thread(
        kind: Kind) -> None:
    calls = news.expiry_messages(kind.build("expired", step=True))
    update = next(c for c in calls if c.method == "chat.update")
    thread = next(c for c in calls if "thread_ts" in c.args)
    (dm,) = _dm(calls, kind.requester)
    assert (update.args["channel"], update.args["ts"]) == (CHANNEL, TS)
    assert (thread.args["channel"], thread.args["thread_ts"]) == (CHANNEL, TS)
    # The notice in the thread is the requester's; only the DM goes without metadata.
    assert thread.args["text"] == dm.args["text"]
    assert "metadata" not in dm.args
    expected = kind.metadata("expired", True)
    assert update.args["metadata"] == thread.args["metadata"] == expected
    assert "actions" not in [b["type"] for b in update.args["blocks"]]  # no buttons left
    # A Workflow Builder step run fails, last, after the news it sums up.
    assert calls[-1].method == "functions.completeError"
    assert calls[-1].args["function_execution_id"] == "Fx1"
    assert len(calls) == 4


def test_each_kind_keeps_the_order_its_expiry_was_always_sent_in() -> None:
    # The order is kept as it was (the outbox sends one key's calls in order).
    assert _shape(news.expiry_messages(_single("expired"))) == [
        ("chat.update", CHANNEL, False), ("chat.postMessage", CHANNEL, True),
        ("chat.postMessage", "URequester", False)]
    assert _shape(news.expiry_messages(_leaver("expired"))) == [
        ("chat.postMessage", "UAGENT", False), ("chat.update", CHANNEL, False),
        ("chat.postMessage", CHANNEL, True)]


@KINDS
def test_no_approval_message_yet_means_no_update_and_no_thread(kind: Kind) -> None:
    expired = news.expiry_messages(kind.build("expired", posted=False, step=True))
    assert _shape(expired) == [("chat.postMessage", kind.requester, False),
                               ("functions.completeError", "Fx1", False)]
    decided = news.decision_messages(kind.build("cancelled", posted=False, step=True))
    assert _shape(decided) == [("functions.completeError", "Fx1", False)]
    assert news.reminder_messages(kind.build(posted=False)) == []
    assert news.progress_messages(kind.build(posted=False)) == []


@KINDS
def test_a_decision_updates_the_message_then_replies_in_its_thread(kind: Kind) -> None:
    calls = news.decision_messages(kind.build("cancelled", step=True))
    assert _shape(calls) == [("chat.update", CHANNEL, False), ("chat.postMessage", CHANNEL, True),
                             ("functions.completeError", "Fx1", False)]
    assert calls[0].args["ts"] == calls[1].args["thread_ts"] == TS
    expected = kind.metadata("cancelled", True)
    assert calls[0].args["metadata"] == calls[1].args["metadata"] == expected
    assert "actions" not in [b["type"] for b in calls[0].args["blocks"]]


@KINDS
def test_a_reminder_is_one_reply_in_the_thread_with_the_requests_metadata(kind: Kind) -> None:
    (reminder,) = news.reminder_messages(kind.build())
    assert (reminder.method, reminder.args["channel"], reminder.args["thread_ts"]) == \
        ("chat.postMessage", CHANNEL, TS)
    assert reminder.args["metadata"] == kind.metadata(None, True)
    assert "<@UAPPROVER>" in reminder.args["text"]


@KINDS
def test_an_approval_that_leaves_more_to_come_keeps_the_buttons_and_says_so(
        kind: Kind) -> None:
    update, reply = news.progress_messages(kind.build())
    assert _shape([update, reply]) == [("chat.update", CHANNEL, False),
                                       ("chat.postMessage", CHANNEL, True)]
    assert "actions" in [b["type"] for b in update.args["blocks"]]
    assert update.args["metadata"] == reply.args["metadata"] == kind.metadata(None, True)
    assert "<@UAPPROVER>" in reply.args["text"]


def test_a_single_request_from_a_help_desk_thread_is_told_there_too() -> None:
    thread = {"helpdesk_channel": "CHELPDESK", "helpdesk_ts": "1700000000.000200"}
    cancelled = request(RequestState.CANCELLED, **thread, **POSTED)
    expired = request(RequestState.EXPIRED, **thread, **POSTED)
    for asked, package in ((cancelled, news.decision_messages),
                           (expired, news.expiry_messages)):
        calls = package(news.of_request(CTX, asked))
        (local,) = [c for c in calls if c.args["channel"] == "CHELPDESK"]
        assert (local.method, local.args["thread_ts"]) == \
            ("chat.postMessage", "1700000000.000200")
        assert local.args["metadata"] == line_order_metadata(asked, "US")
    # Without the message posted, the help-desk thread hears no decision either.
    unposted = cancelled.model_copy(update={"approval_channel": None, "approval_ts": None})
    assert news.decision_messages(news.of_request(CTX, unposted)) == []
