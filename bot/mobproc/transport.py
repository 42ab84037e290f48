"""An httpx transport that sends MobProc calls through aiohttp.

httpx stays the MobProc client's API (retries, metering and the tests' ``MockTransport`` are
unchanged); only the wire is aiohttp, which costs about half the client CPU per call of httpx's
own httpcore/anyio/h11 stack or less (``python -m bench.mobproc_transport``: 0.4 ms against
0.75 ms with 8 calls in flight, 1.9 ms with 50).

Not ``httpx-aiohttp``: it maps every ``aiohttp.ClientConnectionError`` to
``httpx.ConnectTimeout``, including a connection dropped *after* the request was written, and
``MobProcClient`` reads ConnectError/ConnectTimeout as "never reached MobProc", so a lost
answer to an order would be sent again. Here errors are mapped by phase: only a failure to
connect is a connect error; anything later is a read/protocol error ("may have been sent").
"""

from __future__ import annotations

import asyncio
import ssl

import aiohttp
import httpx
from yarl import URL

# Like httpx's defaults: at most 100 connections, idle ones closed after 5 s (a server or load
# balancer that closes idle connections first would otherwise cost a lost answer to an order).
# aiohttp does not scan its pool per request as httpcore does (bench.mobproc_transport: 0.37–0.43
# ms of client CPU a call with a limit of 20 or 100, 8 or 50 in flight; httpx's own transport
# 0.75 and 1.92 ms), and the MobProc limiter keeps at most MOBPROC_MAX_CONCURRENCY calls in
# flight, so the limit is a safety bound only.
MAX_CONNECTIONS = 100
KEEPALIVE_SECONDS = 5.0


class AiohttpTransport(httpx.AsyncBaseTransport):
    """One shared ``aiohttp.ClientSession``, made on the first request (inside the running
    loop) and closed by ``aclose``. Bodies are read whole: MobProc answers are small JSON."""

    def __init__(self, *, verify: ssl.SSLContext | bool = True,
                 max_connections: int = MAX_CONNECTIONS,
                 keepalive_seconds: float = KEEPALIVE_SECONDS) -> None:
        # The same CA bundle and settings as httpx's own transport (certifi, SSL_CERT_FILE).
        self._ssl: ssl.SSLContext | bool = (
            httpx.create_ssl_context(verify=True) if verify is True else verify)
        self._max_connections = max_connections
        self._keepalive_seconds = keepalive_seconds
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            if self._closed:
                raise RuntimeError("The MobProc transport is closed.")
            connector = aiohttp.TCPConnector(limit=self._max_connections,
                                             keepalive_timeout=self._keepalive_seconds,
                                             ssl=self._ssl)
            # httpx follows redirects, decodes bodies and keeps cookies itself.
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(), trust_env=False,
                skip_auto_headers=("Content-Type",))
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        session = self._get_session()
        body = await request.aread()
        try:
            async with session.request(
                    request.method, URL(str(request.url), encoded=True),
                    headers=_raw_headers(request), data=body or None,
                    allow_redirects=False, timeout=client_timeout(request)) as answer:
                content = await answer.read()
        except Exception as exc:
            mapped = to_httpx_error(exc, request)
            if mapped is None:
                raise
            raise mapped from exc
        return httpx.Response(
            answer.status, headers=answer.raw_headers, stream=httpx.ByteStream(content),
            request=request,
            extensions={"http_version": b"HTTP/1.1",
                        "reason_phrase": (answer.reason or "").encode("ascii", "replace")})

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _raw_headers(request: httpx.Request) -> list[tuple[str, str]]:
    # As httpx sends them (its own names' case), not its lower-cased view.
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]


def client_timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    """httpx's per-request timeouts as aiohttp's.

    aiohttp's ``connect`` covers waiting for a pooled connection and making one (httpx's
    ``pool`` + ``connect``); ``sock_connect`` is the connect itself; ``sock_read`` the longest
    wait for data (httpx's ``read``). aiohttp has no write timeout and starts ``sock_read``
    only once the body is written, so ``total`` bounds the whole call instead.
    """
    t: dict[str, float | None] = request.extensions.get("timeout", {})
    pool, connect, read, write = (t.get("pool"), t.get("connect"), t.get("read"),
                                  t.get("write"))
    phases = (pool, connect, write, read)
    total = None if None in phases else sum(p for p in phases if p is not None)
    return aiohttp.ClientTimeout(
        total=total, sock_connect=connect, sock_read=read,
        connect=None if pool is None or connect is None else pool + connect)


def to_httpx_error(exc: BaseException, request: httpx.Request) -> httpx.HTTPError | None:
    """The httpx error for an aiohttp one, by phase (None: not a transport error).

    Only failures before anything was sent become ConnectError/ConnectTimeout; every other
    failure may have followed a written request, so it is a read or protocol error and the
    client treats an order as possibly placed. When in doubt, "may have been sent".
    """
    name = type(exc).__name__
    message = f"{name}: {exc}" if str(exc) else name
    # Order matters: the connect errors subclass ClientOSError / ServerTimeoutError.
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # pool wait, connect, TLS handshake
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS, proxy connect
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, asyncio.TimeoutError):  # sock_read, or the total bound: after sending
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError
                  | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return httpx.ReadError(message, request=request)
    return None


__all__ = ["AiohttpTransport", "client_timeout", "to_httpx_error"]
