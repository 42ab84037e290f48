"""Storage: a ticket and its reply, and an approval message's record and what follows it,
are each one transaction (a crash leaves both or neither), and what follows is queued once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import HelpdeskTicket, LineRequest, RequestState
from bot.effects.outbox import APPROVAL
from bot.storage.outbox_queue import OutboxMessage
from bot.storage.requests import RequestRepository
from bot.storage.tickets import TICKET_REPLY
from tests.support.crash import Killed
from tests.support.storage import draft


def ticket(ticket_id: str, message_ts: str = "100.1") -> HelpdeskTicket:
    return HelpdeskTicket(id=ticket_id, channel="CHELP", message_ts=message_ts,
                          poster_id="U2", text="stolen, suspend 415-555-0199",
                          service_number="4155550199")


def reply(text: str) -> OutboxMessage:
    return OutboxMessage("chat.postMessage", {"channel": "CHELP", "thread_ts": "100.1",
                                              "text": text})


async def test_a_ticket_and_its_reply_are_recorded_together_once(
        repo: RequestRepository) -> None:
    stored, new = await repo.add_ticket(ticket("t1"), reply("first"))
    assert new and stored.id == "t1"
    # The same message again (a redelivery, another replica): the stored ticket, no reply.
    again, new = await repo.add_ticket(ticket("t2"), reply("second"))
    assert not new and again.id == "t1"
    calls = await repo.queued_calls()
    assert [(c.request_id, c.purpose, c.args["text"]) for c in calls] == \
        [("t1", TICKET_REPLY, "first")]
    assert await repo.get_ticket("t2") is None


async def test_a_refused_reply_is_queued_again_only_when_refused(
        repo: RequestRepository) -> None:
    await repo.add_ticket(ticket("t1"), reply("first"))
    assert not await repo.queue_reply_again("t1", reply("again"))  # still waiting
    [call] = await repo.queued_calls()
    await repo.call_done(call.id, error="not_in_channel")
    assert await repo.queue_reply_again("t1", reply("again"))
    assert [c.args["text"] for c in await repo.queued_calls()] == ["again"]


async def test_legacy_tickets_without_a_reply_are_found_once_each(
        repo: RequestRepository) -> None:
    await repo.add_ticket(ticket("old", "1.1"))  # as an older version recorded it
    await repo.add_ticket(ticket("answered", "1.2"))
    await repo.add_ticket(ticket("new", "1.3"), reply("queued with it"))
    now = datetime.now(UTC)
    found = await repo.tickets_without_reply(now - timedelta(hours=1),
                                             now + timedelta(seconds=1))
    assert [t.id for t in found] == ["old", "answered"]
    assert await repo.ticket_answered("answered")
    assert not await repo.ticket_answered("answered")
    found = await repo.tickets_without_reply(now - timedelta(hours=1),
                                             now + timedelta(seconds=1))
    assert [t.id for t in found] == ["old"]
    assert not await repo.tickets_without_reply(now + timedelta(seconds=1),
                                                now + timedelta(seconds=2))
    assert [c.request_id for c in await repo.queued_calls()] == ["new"]


async def pending_with_post(repo: RequestRepository) -> int:
    await draft(repo)
    await repo.transition("r1", [RequestState.DRAFT], RequestState.PENDING)
    assert await repo.enqueue_once("r1", OutboxMessage("chat.postMessage", {
        "channel": "CAPPROVALS", "text": "approve?"}), APPROVAL)
    [call] = await repo.queued_calls()
    return call.id


def follow_ups(request: LineRequest) -> list[OutboxMessage]:
    return [OutboxMessage("chat.postEphemeral", {
        "channel": "C1", "user": request.requester_id,
        "text": f"waiting: {request.approval_permalink}"})]


async def test_what_follows_the_approval_message_is_queued_with_its_record(
        repo: RequestRepository) -> None:
    call_id = await pending_with_post(repo)
    link = "https://acme.slack.com/archives/CAPPROVALS/p2000001"
    await repo.approval_posted(call_id, "r1", "CAPPROVALS", "200.0001", link, follow_ups)
    request = await repo.get("r1")
    assert request is not None and request.approval_ts == "200.0001"
    assert request.approval_permalink == link
    assert [c.args["text"] for c in await repo.queued_calls()] == [f"waiting: {link}"]
    # A second sender recording the same call (it took over a claim) queues nothing more.
    await repo.approval_posted(call_id, "r1", "CAPPROVALS", "200.0001", link, follow_ups)
    assert len(await repo.queued_calls()) == 1


async def test_a_crash_while_recording_leaves_neither_the_record_nor_what_follows(
        repo: RequestRepository) -> None:
    """One transaction: dying inside it (after the record's statements, while what
    follows is rendered) leaves the call queued and the request without its message, so the
    next sender finds the message by its metadata and records both."""
    call_id = await pending_with_post(repo)

    def dies(request: LineRequest) -> list[OutboxMessage]:
        assert request.approval_ts == "200.0001"  # the record's statements did run
        raise Killed("killed while recording the approval message")

    with pytest.raises(Killed):
        await repo.approval_posted(call_id, "r1", "CAPPROVALS", "200.0001", None, dies)
    request = await repo.get("r1")
    assert request is not None and request.approval_ts is None
    assert [c.id for c in await repo.queued_calls()] == [call_id]
    await repo.approval_posted(call_id, "r1", "CAPPROVALS", "200.0001", None, follow_ups)
    assert [c.args["text"] for c in await repo.queued_calls()] == ["waiting: None"]


async def test_a_refusal_queues_its_notice_with_the_cancellation(
        repo: RequestRepository) -> None:
    call_id = await pending_with_post(repo)

    def told(request: LineRequest, error: str) -> list[OutboxMessage]:
        return [OutboxMessage("chat.postMessage", {
            "channel": request.requester_id, "text": f"{request.state.value}: {error}"})]

    assert await repo.approval_refused(call_id, "r1", "not_in_channel", told)
    assert [c.args["text"] for c in await repo.queued_calls()] == \
        ["cancelled: not_in_channel"]
    assert not await repo.approval_refused(call_id, "r1", "not_in_channel", told)
    assert len(await repo.queued_calls()) == 1
