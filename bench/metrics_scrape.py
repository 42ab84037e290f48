"""How long one ``GET /metrics`` scrape takes as the database grows; prints one table.

    .venv/bin/python -m bench.metrics_scrape                 # 1 000, 10 000, 100 000 requests
    .venv/bin/python -m bench.metrics_scrape --requests 50000 --scrapes 20

Each row: a fresh SQLite database (migrated as at start-up) is filled with that many line
requests spread over the order types and states, plus one outbox entry per ten requests
(half of them unsent); then a bot's metrics are scraped ``--scrapes`` times in a row, each
reading the database figures afresh as Prometheus' scrape would. A scrape is three
aggregate queries and the text exposition.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bot.domain import RequestState
from bot.mobproc.models import TransactionType
from bot.ops.metrics import BotMetrics
from bot.storage.database import create_engine, migrate
from bot.storage.tables import LineRequestRow, OutboxRow

STATES = list(RequestState)
TYPES = list(TransactionType)
BATCH = 5000


async def fill(url: str, requests: int) -> None:
    engine = create_engine(url)
    await migrate(engine)
    now = datetime.now(UTC)
    async with engine.begin() as connection:
        for start in range(0, requests, BATCH):
            rows = [{
                "id": uuid.uuid4().hex, "transaction_type": TYPES[i % len(TYPES)].value,
                "state": STATES[i % len(STATES)].value, "requester_id": f"U{i}",
                "service_id": str(i), "service_number": f"{4155550000 + i}",
                "service_json": {}, "form_json": {}, "external_order_number": f"X{i}",
                "created_at": now - timedelta(seconds=i), "updated_at": now,
                "reminders_sent": 0,
            } for i in range(start, min(start + BATCH, requests))]
            await connection.execute(insert(LineRequestRow), rows)
            await connection.execute(insert(OutboxRow), [{
                "request_id": row["id"], "method": "chat.postMessage", "payload": {},
                "created_at": now, "attempts": 0,
                "sent_at": now if n % 2 else None} for n, row in enumerate(rows[::10])])
    await engine.dispose()


async def measure(requests: int, scrapes: int) -> tuple[float, float, float, int]:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        await fill(url, requests)
        engine = create_engine(url)
        metrics = BotMetrics()
        size = len(await metrics.scrape(engine))  # warm the pool
        times = []
        for _ in range(scrapes):
            started = time.perf_counter()
            await metrics.scrape(engine)
            times.append((time.perf_counter() - started) * 1000)
        await engine.dispose()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], times[-1], size


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, action="append")
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args()
    print("requests   scrape median ms   p95 ms   max ms   response bytes")
    for requests in args.requests or [1_000, 10_000, 100_000]:
        median, p95, worst, size = await measure(requests, args.scrapes)
        print(f"{requests:>8}   {median:>16.1f}   {p95:>6.1f}   {worst:>6.1f}   {size:>14}")


if __name__ == "__main__":
    asyncio.run(main())
