"""Storage: conditional state changes, restarts, and the status events the follower posts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import RequestState
from bot.slack_standin.polling import eventually
from bot.storage.database import create_engine, migrate
from bot.storage.outbox_queue import ABANDONED, Claim, OutboxMessage
from bot.storage.requests import RequestRepository
from tests.support.storage import draft, open_repository


@pytest.fixture
async def repo(database_url: str) -> AsyncIterator[RequestRepository]:
    """Migrated twice: the second time must be harmless (every bot migrates at start-up)."""
    async with open_repository(database_url, migrations=2) as repository:
        yield repository


async def test_draft_round_trip(repo: RequestRepository) -> None:
    await draft(repo)
    form = await repo.get_form("r1")
    assert form is not None and form.service.serviceNumber == "4155550199"
    assert form.property_groups[0].fields[0].choices[0].label == "Lost"
    request = await repo.get("r1")
    assert request is not None and request.state is RequestState.DRAFT
    assert request.requester_email == "riley@acme.com"
    assert request.definitions[0].id == "Reason"


async def test_one_of_many_concurrent_transitions_wins(repo: RequestRepository) -> None:
    await draft(repo)
    await repo.transition("r1", [RequestState.DRAFT], RequestState.PENDING)
    results = await asyncio.gather(*(
        repo.transition("r1", [RequestState.PENDING], RequestState.APPROVED, decided_by=f"U{n}")
        for n in range(20)))
    assert results.count(True) == 1
    request = await repo.get("r1")
    assert request is not None and request.state is RequestState.APPROVED


async def test_claim_is_a_lease(repo: RequestRepository) -> None:
    await draft(repo)
    future = datetime.now(UTC) + timedelta(seconds=5)
    assert await repo.claim("r1", RequestState.DRAFT, future)
    assert not await repo.claim("r1", RequestState.DRAFT, datetime.now(UTC) - timedelta(1))
    assert not await repo.claim("r1", RequestState.PENDING, future)


async def test_status_events_in_order_until_posted(repo: RequestRepository) -> None:
    await draft(repo)
    await repo.record_statuses("r1", order_status="IN_PROGRESS", segment_statuses={"s": "X"},
                               events=[("order", "A", "B", None), ("segment s", None, "X", "V")],
                               final=False)
    events = await repo.unposted_events()
    assert [(e.subject, e.new_status) for _, _, e in events] == [("order", "B"),
                                                                 ("segment s", "X")]
    # Queuing the reply for an event marks the event handled, in the same transaction.
    await repo.enqueue("r1", [OutboxMessage("chat.postMessage", {"text": "B"})],
                       event_id=events[0][0])
    assert [e.subject for _, _, e in await repo.unposted_events()] == ["segment s"]
    queued = await repo.queued_calls()
    assert [(c.method, c.args) for c in queued] == [("chat.postMessage", {"text": "B"})]
    future = datetime.now(UTC) + timedelta(seconds=5)
    assert await repo.claim_call(queued[0].id, future)
    assert not await repo.claim_call(queued[0].id, datetime.now(UTC) - timedelta(seconds=60))
    await repo.call_done(queued[0].id)
    assert await repo.queued_calls() == []
    stored = await repo.get("r1")
    assert stored is not None and stored.segment_statuses == {"s": "X"}


async def test_a_second_engine_sees_everything(database_url: str, repo: RequestRepository
                                               ) -> None:
    await draft(repo)
    await repo.update_fields("r1", approval_channel="C9", approval_ts="1.2")
    other = create_engine(database_url)
    try:
        again = await RequestRepository(other).get_by_message("C9", "1.2")
        assert again is not None and again.id == "r1"
    finally:
        await other.dispose()


async def test_sqlite_runs_in_wal_mode(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    from sqlalchemy import text

    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            mode = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
        assert mode == "wal"  # waiting for a lock: tests/unit/storage/test_sqlite_driver.py
    finally:
        await engine.dispose()


async def test_stored_json_is_parsed_once_and_never_served_stale(
        repo: RequestRepository) -> None:
    from bot.mobproc.models import OrderConfirmation, PropertyValueGroup

    await draft(repo)
    first, second = await repo.get("r1"), await repo.get("r1")
    assert first is not None and second is not None
    # The form's models come from one parse, however often the request is read.
    assert first.service is second.service
    assert first.definitions[0] is second.definitions[0]
    found = await repo.get_with_form("r1")
    assert found is not None and found[1].service is first.service
    assert first.confirmation is None and first.properties == []
    # What changes after creation is read fresh: the confirmation shows up at once...
    confirmed = await repo.save_confirmation(
        "r1", properties=[PropertyValueGroup(groupId="G", fields=[])], acknowledged=[],
        confirmation=OrderConfirmation(transactionType="SUSPEND", externalOrderNumber="EXT-r1"),
        actor="U1")
    assert confirmed is not None and confirmed.state is RequestState.PENDING
    assert confirmed.confirmation is not None
    assert confirmed.confirmation.externalOrderNumber == "EXT-r1"
    again = await repo.get("r1")
    assert again is not None and again.properties[0].groupId == "G"
    assert again.confirmation is confirmed.confirmation  # ...and is then kept, parsed
    # ...and a second confirmation of the same request changes nothing.
    assert await repo.save_confirmation(
        "r1", properties=[], acknowledged=[], actor="U2",
        confirmation=OrderConfirmation(transactionType="SUSPEND")) is None


async def test_move_returns_the_request_only_to_its_one_winner(repo: RequestRepository) -> None:
    await draft(repo)
    await repo.transition("r1", [RequestState.DRAFT], RequestState.PENDING)
    results = await asyncio.gather(*(
        repo.move("r1", [RequestState.PENDING], RequestState.APPROVED, decided_by=f"U{n}")
        for n in range(10)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert winners[0].state is RequestState.APPROVED and winners[0].decided_by
    stored = await repo.get("r1")
    assert stored is not None and stored.decided_by == winners[0].decided_by
    assert await repo.move("r1", [RequestState.PENDING], RequestState.CANCELLED) is None


async def test_a_burst_of_reads_reuses_its_connections(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    from sqlalchemy import event

    engine = create_engine(database_url)
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda *_: opened.append(1))
    try:
        await migrate(engine)
        repo = RequestRepository(engine)
        await draft(repo)
        for _ in range(3):  # three bursts of 20 reads at once
            found = await asyncio.gather(*(repo.get("r1") for _ in range(20)))
            assert all(r is not None for r in found)
        # The first burst opens what it needs; the next ones reuse them.
        assert len(opened) <= 21
    finally:
        await engine.dispose()


async def test_queued_payloads_are_read_once(database_url: str) -> None:
    from sqlalchemy import event

    engine = create_engine(database_url)
    payload_reads: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "payload" in statement:
            payload_reads.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        await migrate(engine)
        repo = RequestRepository(engine)
        await draft(repo)
        await repo.enqueue("r1", [OutboxMessage("chat.postMessage", {"text": "one"}),
                                  OutboxMessage("chat.update", {"text": "two"})])
        first = await repo.queued_calls()
        again = await repo.queued_calls()
        assert [c.args for c in again] == [c.args for c in first] == [{"text": "one"},
                                                                      {"text": "two"}]
        assert len(payload_reads) == 1  # the second look read ids, not the messages again
        # Waiting calls are the very same objects (nothing rebuilt per look), read-only.
        assert [a is b for a, b in zip(again, first, strict=True)] == [True, True]
        with pytest.raises(TypeError):
            first[0].args["text"] = "changed by a sender"  # type: ignore[index]
        claim = await repo.claim_call(first[1].id, datetime.now(UTC) - timedelta(seconds=60))
        assert claim
        assert (await repo.queued_calls())[1] is first[1]  # a claim changes nothing queued
        await repo.call_failed(first[1].id, "ratelimited", claim.attempt)
        await repo.call_done(first[0].id)
        await repo.enqueue("r1", [OutboxMessage("chat.postMessage", {"text": "three"})])
        left = await repo.queued_calls()
        assert [c.args for c in left] == [{"text": "two"}, {"text": "three"}]
        assert len(payload_reads) == 2  # only the new call's payload was read
        # What another replica queued is read too.
        other = RequestRepository(engine)
        assert [c.args for c in await other.queued_calls()] == [{"text": "two"},
                                                               {"text": "three"}]
    finally:
        await engine.dispose()


async def test_a_claim_says_how_earlier_attempts_went(repo: RequestRepository) -> None:
    """What the outbox needs to know before a send (could an earlier attempt have posted
    it?) comes from the statement that takes the call, not from an earlier look."""
    await draft(repo)
    await repo.enqueue("r1", [OutboxMessage("chat.postMessage", {"text": "one"})])
    (call,) = await repo.queued_calls()
    fresh_only = datetime.now(UTC) - timedelta(seconds=60)
    first = await repo.claim_call(call.id, fresh_only)
    assert first == Claim(earlier_attempts=0, last_error=None, claimed_at=first.claimed_at,
                          queued_at=first.queued_at)
    assert await repo.claim_call(call.id, fresh_only) is None  # held by a live sender
    # That sender stops mid-call; its claim goes stale and is taken over.
    taken = await repo.claim_call(call.id, datetime.now(UTC) + timedelta(seconds=1))
    assert taken is not None
    assert (taken.earlier_attempts, taken.last_error) == (1, ABANDONED)
    # The one taken over is fenced off: it no longer holds the call, can't let it go.
    assert not await repo.call_held(call.id, first.attempt)
    await repo.call_failed(call.id, "lost its answer", first.attempt)
    assert await repo.claim_call(call.id, fresh_only) is None
    assert await repo.call_held(call.id, taken.attempt)
    await repo.call_failed(call.id, "ReadTimeout", taken.attempt)
    again = await repo.claim_call(call.id, fresh_only)
    assert again is not None and (again.earlier_attempts, again.last_error) == (2, "ReadTimeout")
    assert again.attempt == 3 and again.claimed_at >= taken.claimed_at >= first.claimed_at
    await repo.call_done(call.id)
    assert not await repo.call_held(call.id, again.attempt)  # sent: nobody holds it
    assert await repo.claim_call(call.id, datetime.now(UTC) + timedelta(seconds=1)) is None


async def test_a_request_read_is_exactly_what_validation_would_make(
        repo: RequestRepository) -> None:
    """Requests are built from rows without validation (a read is frequent): every field
    must already have its type, or the built request differs from a validated one."""
    from bot.domain import LineRequest, MobProcDecision

    await draft(repo)
    moved = await repo.move("r1", [RequestState.DRAFT], RequestState.SUBMITTED,
                            decided_by="U2", decided_at=datetime.now(UTC), order_id="O1",
                            order_status="IN_PROGRESS", segment_statuses_json={"s": "OPEN"},
                            approval_channel="C2", approval_ts="1.2", reminders_sent=2)
    await repo.note_mobproc_decision("r1", MobProcDecision(action="APPROVE", by_name="Sam"))
    read = await repo.get("r1")
    assert moved is not None and read is not None
    for request in (moved, read):
        validated = LineRequest.model_validate(request.model_dump())
        assert request == validated
        assert {name: type(getattr(request, name)) for name in LineRequest.model_fields} == \
            {name: type(getattr(validated, name)) for name in LineRequest.model_fields}
    assert read.mobproc_decision == MobProcDecision(action="APPROVE", by_name="Sam")
    assert read.decided_at is not None and read.decided_at.tzinfo is not None


async def test_a_submission_claim_is_taken_over_once_lapsed_and_extended_only_while_held(
        repo: RequestRepository) -> None:
    await draft(repo)
    assert await repo.transition("r1", [RequestState.DRAFT], RequestState.APPROVED)
    first = await repo.start_submission("r1", timedelta(seconds=0.3))
    assert first is not None and first.attempt == 1
    assert await repo.holds_submission("r1", 1)
    assert await repo.take_over_submission("r1", timedelta(seconds=60)) is None  # fresh
    # Still held and not lapsed: the holder may push its lease out.
    assert await repo.extend_submission("r1", 1, 0.3)
    until = datetime.now(UTC) + timedelta(seconds=0.3)
    assert not await repo.extend_submission("r1", 2, 0.3)  # not its attempt
    await eventually(lambda: datetime.now(UTC) > until + timedelta(seconds=0.05))
    assert not await repo.extend_submission("r1", 1, 60)  # lapsed: too late
    second = await repo.take_over_submission("r1", timedelta(seconds=60))
    assert second is not None and second.attempt == 2
    assert not await repo.holds_submission("r1", 1) and await repo.holds_submission("r1", 2)
    assert not await repo.extend_submission("r1", 1, 60)

