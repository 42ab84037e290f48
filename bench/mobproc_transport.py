"""CPU per MobProc-sized call through httpx: its own transport against ours (aiohttp), and
our pool limit, with N calls in flight; prints one table.

    .venv/bin/python -m bench.mobproc_transport
    .venv/bin/python -m bench.mobproc_transport --requests 4000 --in-flight 8 50

The server (aiohttp, answering a small JSON body like MobProc's) runs in its own process, so
the figures are the client's CPU alone (``time.process_time`` around the calls, after a
warm-up). Everything is on loopback.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import Callable

import httpx

from bot.mobproc.transport import AiohttpTransport

ANSWER = (b'{"order":{"id":"9000001","status":"SUBMITTED","transactionType":"SUSPEND",'
          b'"externalOrderNumber":"T-1","orderSegments":[{"id":"1","status":"SUBMITTED"}]}}')

SERVER = f"""
import sys
from aiohttp import web
async def answer(request):
    await request.read()
    return web.Response(body={ANSWER!r}, content_type="application/json")
app = web.Application()
app.router.add_route("*", "/{{tail:.*}}", answer)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(url: str) -> None:
    async with httpx.AsyncClient() as http:
        for _ in range(100):
            try:
                await http.get(url)
                return
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    raise RuntimeError("the bench server did not start")


async def cpu_per_call(make: Callable[[], httpx.AsyncBaseTransport], url: str, requests: int,
                       in_flight: int) -> float:
    async with httpx.AsyncClient(transport=make(), timeout=10) as http:
        queue = iter(range(requests))

        async def worker() -> None:
            for n in queue:
                response = await http.post(f"{url}/orders", params={"confirm": "true"},
                                           json={"externalOrderNumber": f"T-{n}"},
                                           headers={"Authorization": "Bearer x"})
                response.json()

        await asyncio.gather(*(http.get(f"{url}/warm") for _ in range(in_flight)))
        started = time.process_time()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        return (time.process_time() - started) / requests


async def measure(url: str, requests: int, in_flights: list[int]) -> None:
    await wait_up(url)
    kinds: dict[str, Callable[[], httpx.AsyncBaseTransport]] = {
        "httpx's own transport (20 kept alive)": httpx.AsyncHTTPTransport,
        "aiohttp transport, limit 20": lambda: AiohttpTransport(max_connections=20),
        "aiohttp transport, limit 100 (the default)": AiohttpTransport,
    }
    print(f"\nClient CPU per call ({requests} POSTs with a JSON body and answer; "
          "server in its own process)\n")
    print("| transport | " + " | ".join(f"{n} in flight" for n in in_flights) + " |")
    print("|---|" + "---|" * len(in_flights))
    for name, make in kinds.items():
        cells = [await cpu_per_call(make, url, requests, n) for n in in_flights]
        print(f"| {name} | " + " | ".join(f"{c * 1000:.2f} ms" for c in cells) + " |")


def main(requests: int, in_flights: list[int]) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    try:
        asyncio.run(measure(f"http://127.0.0.1:{port}", requests, in_flights))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--in-flight", type=int, nargs="+", default=[8, 50])
    args = parser.parse_args()
    main(args.requests, args.in_flight)
