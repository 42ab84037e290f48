"""An order or approval answer leaves only while its sender's fenced claim holds: checked
after every wait (the limiter, a 429 pause, a retry after a slow connect), right before the
request goes out."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from pydantic import SecretStr

from bot.domain import RequestState
from bot.effects.fence import FRESH_SECONDS, Fence, SendDropped
from bot.mobproc.client import MobProcClient, MobProcConfig
from bot.mobproc.models import ApprovalRequest, OrderRequest
from bot.orders.submission import Submission
from bot.storage.requests import SubmissionClaim
from tests.conftest import FIXTURES
from tests.support.examples import request

TOKEN = json.loads((FIXTURES / "mobproc" / "token.json").read_text())
ORDER = json.loads((FIXTURES / "mobproc" / "suspend.order.json").read_text())
CONFIG = MobProcConfig(base_url="http://mobproc.test/v1", token_url="http://mobproc.test/token",
                       client_id="c", client_secret=SecretStr("s"), username="u",
                       password=SecretStr("p"), tenant="T", timeout_seconds=0.2,
                       retry_base_seconds=0.0)
BODY = OrderRequest(externalOrderNumber="T-1", transactionType="SUSPEND", serviceId="1")


class SlowConnectThenAnswer:
    """MobProc's side: the first order attempt's connect hangs past the claim, then fails."""

    def __init__(self) -> None:
        self.order_posts = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            return httpx.Response(200, json=TOKEN)
        self.order_posts += 1
        if self.order_posts == 1:
            await asyncio.sleep(3 * CONFIG.timeout_seconds)
            raise httpx.ConnectTimeout("connect took too long", request=request)
        return httpx.Response(201, json=ORDER)


async def _holds(attempt: int) -> bool:
    return True


def fence(seconds: float, holds: object = _holds) -> Fence:
    return Fence(1, datetime.now(UTC) + timedelta(seconds=seconds), holds)  # type: ignore[arg-type]


async def test_a_retry_that_would_outlast_the_claim_is_dropped() -> None:
    mobproc = SlowConnectThenAnswer()
    client = MobProcClient(CONFIG, transport=httpx.MockTransport(mobproc))
    try:
        # Room for one try, not two: the retry after the failed connect must not leave.
        with pytest.raises(SendDropped):
            await client.submit_order(BODY, on_behalf_of=None,
                                      fence=fence(CONFIG.send_seconds + 0.5))
    finally:
        await client.aclose()
    assert mobproc.order_posts == 1


async def test_a_claim_taken_over_sends_nothing() -> None:
    mobproc = SlowConnectThenAnswer()
    mobproc.order_posts = 1  # the next order would be answered
    client = MobProcClient(CONFIG, transport=httpx.MockTransport(mobproc))

    async def taken_over(attempt: int) -> bool:
        return False

    try:
        with pytest.raises(SendDropped):
            await client.submit_order(BODY, on_behalf_of=None,
                                      fence=fence(CONFIG.lease_seconds, taken_over))
        with pytest.raises(SendDropped):
            await client.answer_approval("1", ApprovalRequest(action="APPROVE"),
                                         on_behalf_of="e", fence=fence(60, taken_over))
    finally:
        await client.aclose()
    assert mobproc.order_posts == 1


async def test_a_held_claim_sends_the_order() -> None:
    mobproc = SlowConnectThenAnswer()
    client = MobProcClient(CONFIG, transport=httpx.MockTransport(mobproc))
    try:
        order = await client.submit_order(BODY, on_behalf_of=None,
                                          fence=fence(CONFIG.lease_seconds * 3))
    finally:
        await client.aclose()
    assert order.orderId and mobproc.order_posts == 2


def test_the_lease_covers_a_wait_for_a_turn_and_the_longest_call() -> None:
    assert CONFIG.lease_seconds >= CONFIG.send_seconds + CONFIG.timeout_seconds


async def test_a_claim_used_up_by_a_wait_is_extended_while_it_still_holds() -> None:
    """A burst in the limiter's queue used most of the lease: still held, the claim is
    pushed out far enough for the send (in the database), and the order goes."""
    mobproc = SlowConnectThenAnswer()
    mobproc.order_posts = 1  # the next order is answered
    client = MobProcClient(CONFIG, transport=httpx.MockTransport(mobproc))
    extended: list[tuple[int, float]] = []

    async def extend(attempt: int, seconds: float) -> bool:
        extended.append((attempt, seconds))
        return True

    too_little_left = Fence(1, datetime.now(UTC) + timedelta(seconds=CONFIG.send_seconds / 2),
                            _holds, extend=extend)
    try:
        await client.submit_order(BODY, on_behalf_of=None, fence=too_little_left)
    finally:
        await client.aclose()
    assert extended == [(1, CONFIG.send_seconds)] and mobproc.order_posts == 2


async def test_a_lapsed_or_taken_claim_is_not_extended() -> None:
    mobproc = SlowConnectThenAnswer()
    mobproc.order_posts = 1
    client = MobProcClient(CONFIG, transport=httpx.MockTransport(mobproc))

    async def taken_over(attempt: int, seconds: float) -> bool:
        return False

    async def never_asked(attempt: int, seconds: float) -> bool:
        raise AssertionError("a lapsed claim is not extended")

    try:
        with pytest.raises(SendDropped):  # held by another now: the database says no
            await client.submit_order(BODY, on_behalf_of=None, fence=Fence(
                1, datetime.now(UTC) + timedelta(seconds=0.1), _holds, extend=taken_over))
        with pytest.raises(SendDropped):  # lapsed: not even asked
            await client.submit_order(BODY, on_behalf_of=None, fence=Fence(
                1, datetime.now(UTC) - timedelta(seconds=1), _holds, extend=never_asked))
    finally:
        await client.aclose()
    assert mobproc.order_posts == 1


async def test_a_claim_taken_in_the_database_just_now_is_not_read_again() -> None:
    reads: list[int] = []

    async def taken_over(attempt: int) -> bool:
        reads.append(attempt)
        return False

    now = datetime.now(UTC)
    fresh = Fence(1, now + timedelta(seconds=60), taken_over, confirmed_at=now)
    await fresh.before_send(1.0)  # the claiming UPDATE was the check
    assert reads == []
    older = now - timedelta(seconds=FRESH_SECONDS * 2)
    stale = Fence(1, now + timedelta(seconds=60), taken_over, confirmed_at=older)
    with pytest.raises(SendDropped):
        await stale.before_send(1.0)  # time passed since: the database is asked
    assert reads == [1]


class _Sent(Exception):
    """The order left (the fake MobProc got it)."""


class _LookThenSubmit:
    """MobProc for a resumed submission: the lookup by externalOrderNumber finds nothing,
    then the order is sent through the fence."""

    config = SimpleNamespace(lease_seconds=30.0)

    async def find_orders_by_external_number(self, number: str) -> list[object]:
        return []

    async def submit_order(self, body: OrderRequest, *, on_behalf_of: str | None,
                           fence: Fence) -> None:
        await fence.before_send(0.1)
        raise _Sent


async def test_a_send_after_a_lookup_reads_its_claim_again_however_recent() -> None:
    """The lookup was awaited since the claim: something may have let go of it meanwhile
    (another path recorded the order), so the send asks the database, even within
    FRESH_SECONDS of the claim, and leaves nothing when the claim no longer holds."""
    reads: list[int] = []

    async def holds_submission(request_id: str, attempt: int) -> bool:
        reads.append(attempt)
        return False

    repo = SimpleNamespace(holds_submission=holds_submission)
    submission = Submission(_LookThenSubmit(), repo)  # type: ignore[arg-type]
    claim = SubmissionClaim(request(RequestState.SUBMITTING), 2,
                            datetime.now(UTC) + submission.lease)
    placement = await submission._place(claim, None)
    assert reads == [2] and not placement.won
