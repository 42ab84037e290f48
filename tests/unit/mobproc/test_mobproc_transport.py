"""The aiohttp-backed httpx transport against real local servers (nothing mocked): answers
come through whole, and each way a call can fail is told apart by whether the request may
have reached MobProc, so an order is never sent twice and never reported as not sent when
it may have been."""

from __future__ import annotations

import asyncio
import gc
import gzip
import json
import socket
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.mobproc.client import MobProcClient, MobProcConfig
from bot.mobproc.errors import MobProcOutcomeUnknown, MobProcUnavailable
from bot.mobproc.models import OrderRequest, PropertyValue, PropertyValueGroup
from bot.mobproc.transport import AiohttpTransport
from bot.ops.metrics import BotMetrics

TIMEOUT = 0.5


@dataclass
class Seen:
    """What a server received: one entry per request (method, target, headers, body)."""
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def count(self, method: str, path_start: str) -> int:
        return sum(1 for m, target, _, _ in self.requests
                   if m == method and target.startswith(path_start))


async def _echo(request: web.Request) -> web.Response:
    body = await request.read()
    answer = {"method": request.method, "path": request.path,
              "query": dict(request.query),
              "headers": {k.decode(): v.decode() for k, v in request.raw_headers},
              "json": json.loads(body) if body else None}
    if request.query.get("gzip") == "yes":
        return web.Response(body=gzip.compress(json.dumps(answer).encode()),
                            headers={"Content-Encoding": "gzip",
                                     "Content-Type": "application/json"})
    return web.json_response(answer, headers={"X-Answer": "yes"}, status=201
                             if request.method == "POST" else 200)


async def _token(request: web.Request) -> web.Response:
    return web.json_response({"token_type": "Bearer", "expires_in": 3600,
                              "access_token": "access-1"})


async def _redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/echo")


@pytest.fixture
async def web_server() -> AsyncIterator[str]:
    """A real aiohttp server: the token endpoint, an echo, a redirect."""
    app = web.Application()
    app.router.add_post("/token", _token)
    app.router.add_route("*", "/echo", _echo)
    app.router.add_get("/moved", _redirect)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter, Seen], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader, seen: Seen) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = {k.strip().lower(): v.strip()
               for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    seen.requests.append((method, target, headers, body))


async def close_after_reading(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                              seen: Seen) -> None:
    """Reads the whole request, then hangs up without a word (MobProc may have acted)."""
    await _read_request(reader, seen)
    writer.close()


async def answer_too_late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                          seen: Seen) -> None:
    """Reads the request and answers after the client's read timeout."""
    await _read_request(reader, seen)
    await asyncio.sleep(TIMEOUT * 6)
    writer.close()


async def cut_the_body_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                             seen: Seen) -> None:
    """Answers 200 with a body shorter than its Content-Length, then hangs up."""
    await _read_request(reader, seen)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100\r\n\r\n{\"order\": ")
    await writer.drain()
    writer.close()


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Behaviour], Awaitable[tuple[str, Seen]]]]:
    """Starts a raw TCP server that misbehaves as told; returns its base URL and what it saw."""
    servers: list[asyncio.Server] = []
    tasks: set[asyncio.Task[None]] = set()

    async def start(behaviour: Behaviour) -> tuple[str, Seen]:
        seen = Seen()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.current_task()
            assert task is not None
            tasks.add(task)
            try:
                await behaviour(reader, writer, seen)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()
                tasks.discard(task)

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/mobproc/v1", seen

    yield start
    for task in list(tasks):
        task.cancel()
    for server in servers:
        server.close()
        await server.wait_closed()


def refused_url() -> str:
    """A loopback port nothing listens on (taken from the OS, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mobproc/v1"


def config(base_url: str, token_url: str) -> MobProcConfig:
    return MobProcConfig(base_url=base_url, token_url=token_url, client_id="bot",
                         client_secret=SecretStr("s3cret"), username="u",
                         password=SecretStr("p4ss"), tenant="ACME", timeout_seconds=TIMEOUT,
                         retry_attempts=2, retry_base_seconds=0.01)


def an_order() -> OrderRequest:
    tomorrow = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        days=1)
    fields = [PropertyValue(id="SERVICE_NUMBER", type="TEXT", text="4155550199"),
              PropertyValue(id="PREFERRED_SUSPENSION_DATE", type="DATE", date=tomorrow)]
    return OrderRequest(externalOrderNumber="T-transport-1", transactionType="SUSPEND",
                        serviceId="svc-1",
                        properties=[PropertyValueGroup(groupId="MISCELLANEOUS", fields=fields)])


def calls(metrics: BotMetrics, endpoint: str, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "mobproc_bot_mobproc_calls_total", {"endpoint": endpoint, "outcome": outcome})
    return value or 0.0


# --- answers ----------------------------------------------------------------------------


async def test_json_get_and_post_round_trip_with_headers_and_query(web_server: str) -> None:
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=5) as http:
        got = await http.get(f"{web_server}/echo", params={
            "serviceNumber": "4155550199", "since": "2026-01-01T00:00+01:00"},
                             headers={"X-TNGO-TENANT": "ACME", "Authorization": "Bearer t"})
        posted = await http.post(f"{web_server}/echo", params={"confirm": "true"},
                                 json={"transactionType": "SUSPEND", "note": "é"})
    assert got.status_code == 200 and got.headers["X-Answer"] == "yes"
    body = got.json()
    assert body["method"] == "GET" and body["path"] == "/echo"
    # The query arrives exactly as given ('+' and ':' survive the trip).
    assert body["query"] == {"serviceNumber": "4155550199", "since": "2026-01-01T00:00+01:00"}
    assert body["headers"]["X-TNGO-TENANT"] == "ACME"  # sent as httpx would, case and all
    assert body["headers"]["Authorization"] == "Bearer t"
    assert got.request.method == "GET"
    assert posted.status_code == 201
    echoed = posted.json()
    assert echoed["method"] == "POST" and echoed["query"] == {"confirm": "true"}
    assert echoed["json"] == {"transactionType": "SUSPEND", "note": "é"}
    assert echoed["headers"]["Content-Type"] == "application/json"


async def test_bodies_are_decoded_and_redirects_left_to_httpx(web_server: str) -> None:
    async with httpx.AsyncClient(transport=AiohttpTransport(), timeout=5) as http:
        zipped = await http.get(f"{web_server}/echo", params={"gzip": "yes"})
        moved = await http.get(f"{web_server}/moved")
        followed = await http.get(f"{web_server}/moved", follow_redirects=True)
    # aiohttp hands the body over as sent; httpx decodes it once.
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.json()["query"] == {"gzip": "yes"}
    assert moved.status_code == 302 and moved.headers["Location"] == "/echo"
    assert followed.status_code == 200 and followed.json()["path"] == "/echo"
    assert zipped.elapsed.total_seconds() >= 0


async def test_the_client_talks_to_a_real_server_through_aiohttp(web_server: str) -> None:
    client = MobProcClient(config(f"{web_server}/mobproc/v1", f"{web_server}/token"))
    try:
        assert isinstance(client._http._transport, AiohttpTransport)
        await client.sign_in()
        assert client._tokens._access == "access-1"
    finally:
        await client.aclose()


# --- never reached MobProc --------------------------------------------------------------


async def test_connection_refused_is_unavailable_even_for_an_order(web_server: str) -> None:
    client = MobProcClient(config(refused_url(), f"{web_server}/token"))
    try:
        with pytest.raises(MobProcUnavailable) as read:
            await client.get_order("9000001")
        assert not isinstance(read.value, MobProcOutcomeUnknown)
        with pytest.raises(MobProcUnavailable) as order:
            await client.submit_order(an_order(), on_behalf_of=None)
        # Never sent, so plainly unavailable: the caller may send it again.
        assert not isinstance(order.value, MobProcOutcomeUnknown)
        assert "ConnectError" in order.value.message
    finally:
        await client.aclose()


async def test_a_connect_timeout_is_a_connect_timeout_and_an_order_not_sent(
        web_server: str) -> None:
    # A listening socket whose accept queue is full: the kernel drops further SYNs, so the
    # connect neither succeeds nor is refused.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        async with httpx.AsyncClient(transport=AiohttpTransport()) as http:
            started = time.monotonic()
            with pytest.raises(httpx.ConnectTimeout):
                await http.get(f"http://127.0.0.1:{port}/",
                               timeout=httpx.Timeout(5, connect=0.3))
            assert time.monotonic() - started < 4
        client = MobProcClient(config(f"http://127.0.0.1:{port}/mobproc/v1",
                                      f"{web_server}/token"))
        try:
            with pytest.raises(MobProcUnavailable) as order:
                await client.submit_order(an_order(), on_behalf_of=None)
            assert not isinstance(order.value, MobProcOutcomeUnknown)
            assert "ConnectTimeout" in order.value.message
        finally:
            await client.aclose()
    finally:
        for s in fillers:
            s.close()
        listener.close()


# --- may have reached MobProc -----------------------------------------------------------


async def test_a_dropped_connection_after_sending_an_order_is_outcome_unknown(
        web_server: str, raw_server: Callable[[Behaviour], Awaitable[tuple[str, Seen]]]
) -> None:
    base, seen = await raw_server(close_after_reading)
    client = MobProcClient(config(base, f"{web_server}/token"))
    try:
        with pytest.raises(MobProcOutcomeUnknown):
            await client.submit_order(an_order(), on_behalf_of=None)
        # Sent exactly once: neither aiohttp nor the client sent the order again.
        assert seen.count("POST", "/mobproc/v1/orders") == 1
        assert b"T-transport-1" in seen.requests[0][3]
        # A read is only unavailable, and retried.
        with pytest.raises(MobProcUnavailable) as read:
            await client.get_order("9000001")
        assert not isinstance(read.value, MobProcOutcomeUnknown)
        assert seen.count("GET", "/mobproc/v1/orders/9000001") >= 2
    finally:
        await client.aclose()


async def test_a_truncated_answer_to_an_order_is_outcome_unknown(
        web_server: str, raw_server: Callable[[Behaviour], Awaitable[tuple[str, Seen]]]
) -> None:
    base, seen = await raw_server(cut_the_body_short)
    client = MobProcClient(config(base, f"{web_server}/token"))
    try:
        with pytest.raises(MobProcOutcomeUnknown):
            await client.submit_order(an_order(), on_behalf_of=None)
        assert seen.count("POST", "/mobproc/v1/orders") == 1
    finally:
        await client.aclose()


async def test_an_answer_later_than_the_read_timeout(
        web_server: str, raw_server: Callable[[Behaviour], Awaitable[tuple[str, Seen]]]
) -> None:
    base, seen = await raw_server(answer_too_late)
    client = MobProcClient(config(base, f"{web_server}/token"))
    try:
        started = time.monotonic()
        with pytest.raises(MobProcOutcomeUnknown) as order:
            await client.submit_order(an_order(), on_behalf_of=None)
        assert "ReadTimeout" in order.value.message
        assert time.monotonic() - started < TIMEOUT * 5  # the read timeout, not the server
        assert seen.count("POST", "/mobproc/v1/orders") == 1
        with pytest.raises(MobProcUnavailable) as read:
            await client.get_order("9000001")
        assert not isinstance(read.value, MobProcOutcomeUnknown)
    finally:
        await client.aclose()


# --- metering and closing -----------------------------------------------------------


async def test_the_metered_client_counts_timeouts_and_unreachable_calls(
        web_server: str, raw_server: Callable[[Behaviour], Awaitable[tuple[str, Seen]]]
) -> None:
    metrics = BotMetrics()
    slow, _ = await raw_server(answer_too_late)
    client = MobProcClient(config(slow, f"{web_server}/token"), metrics=metrics)
    try:
        with pytest.raises(MobProcUnavailable):
            await client.get_order("9000001")
    finally:
        await client.aclose()
    assert calls(metrics, "GET /orders/{id}", "timeout") == 2  # both attempts
    assert calls(metrics, "POST token", "ok") == 1

    client = MobProcClient(config(refused_url(), f"{web_server}/token"), metrics=metrics)
    try:
        with pytest.raises(MobProcUnavailable):
            await client.find_service("4155550199")
    finally:
        await client.aclose()
    assert calls(metrics, "GET /assets/services", "unreachable") == 2
    assert calls(metrics, "GET /assets/services", "timeout") == 0


async def test_closing_the_client_closes_the_aiohttp_session(web_server: str) -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, context: reported.append(context))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = MobProcClient(config(f"{web_server}/mobproc/v1", f"{web_server}/token"))
        await client.sign_in()
        transport = client._http._transport
        assert isinstance(transport, AiohttpTransport)
        session = transport._session
        assert session is not None and not session.closed
        await client.aclose()
        assert session.closed
        # A client that never made a call closes too (no session was ever made).
        await MobProcClient(config(refused_url(), f"{web_server}/token")).aclose()
        del client, transport, session
        gc.collect()
    loop.set_exception_handler(None)
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert not [c for c in reported if "nclosed" in str(c.get("message"))]
