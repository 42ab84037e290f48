"""Following many open orders: what it costs MobProc and how soon each change is told.

    .venv/bin/python -m bench.follow                     # the issue's matrix
    .venv/bin/python -m bench.follow --open 1000 --intervals 2 --rows incremental:1

Each row seeds N open orders through the bot's own storage (placed, with an approval message
in the Slack stand-in) and the simulator (the same orders, every call answered ``--latency``
seconds late), starts one or two bot processes (``python -m bot``) on one SQLite database
with ``STATUS_POLL_SECONDS=--interval`` (approval threads spread over 200 channels, as
Slack paces posts per channel), and lets a share of the orders change status during
each interval (spread over it), or all at once. It measures MobProc's requests as the
simulator received them, the status replies as the Slack stand-in received them, and each
bot process's CPU and peak RSS from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.burst import (
    APPROVER,
    BOT_TOKEN,
    ProcessStats,
    _spawn,
    _stop,
    _wait_healthy,
    bot_env,
    free_port,
    percentile,
)
from bot.domain import RequestState
from bot.mobproc.models import AcknowledgementsResponse, ServiceAsset, TransactionType
from bot.simulator.server import RunningSimulator, SimulatorConfig, start_simulator
from bot.slack_standin.fake_web_api import FakeChannel, FakeSlackWebAPI, RecordedCall
from bot.storage.database import create_engine, migrate, sessionmaker
from bot.storage.requests import RequestRepository
from bot.storage.tables import LineRequestRow

SERVICE_ID = "38382335"  # a seeded simulator line; every bench order is on it
CHANGED_TEXT = "now *In progress*"
CHANNELS = 200


@dataclass
class Row:
    label: str
    mode: str
    replicas: int
    open_orders: int
    changes: int
    interval: float
    requests_per_interval: list[int]
    peak_rps: int
    delays: list[float]
    told: int
    duplicates: int
    round_seconds: list[float]
    cpu_per_round: list[float]
    peak_rss_mb: list[float]


async def seed(database_url: str, simulator: RunningSimulator, api: FakeSlackWebAPI,
               change_at: list[datetime], step: timedelta) -> dict[str, int]:
    """N placed orders: in the bot's database, in the simulator and in Slack. Order ``i``
    moves to IN_PROGRESS at ``change_at[i]``. Returns thread ts → order index."""
    engine = create_engine(database_url)
    await migrate(engine)
    repo = RequestRepository(engine)
    await repo.create_draft(
        request_id="template", transaction_type=TransactionType.SUSPEND, requester_id="UBENCH",
        requester_name="Bench", requester_email="bench@acme.com", origin_channel=None,
        service=ServiceAsset(id=SERVICE_ID, serviceNumber="4155550199",
                             orderActions=["SUSPEND"]),
        property_groups=[], acknowledgements=AcknowledgementsResponse(),
        external_order_number="BENCH-TEMPLATE")
    threads: dict[str, int] = {}
    sessions = sessionmaker(engine)
    async with sessions.begin() as session:
        base = await session.get(LineRequestRow, "template")
        assert base is not None
        rows = []
        for i, when in enumerate(change_at):
            external = f"BENCH-{i:05d}"
            order = simulator.state.create_order(
                {"transactionType": "SUSPEND", "externalOrderNumber": external,
                 "serviceId": SERVICE_ID, "properties": []}, {"id": "bench"})
            order.submitted = when - step  # its first step falls at ``when``
            ts = f"1600000000.{i:06d}"
            channel = f"CBENCH{i % CHANNELS:03d}"
            api.messages[(channel, ts)] = {"type": "message", "ts": ts, "text": "ok",
                                           "channel": channel}
            threads[ts] = i
            rows.append(LineRequestRow(
                id=uuid.uuid4().hex, transaction_type=base.transaction_type,
                state=RequestState.SUBMITTED.value, requester_id=base.requester_id,
                requester_name=base.requester_name, requester_email=base.requester_email,
                service_id=base.service_id, service_number=base.service_number,
                service_json=base.service_json, form_json=base.form_json,
                properties_json=[], acknowledged_json=[], external_order_number=external,
                approval_channel=channel, approval_ts=ts, decided_by=APPROVER,
                order_id=order.order_id, order_status="ORDER_SUBMITTED",
                segment_statuses_json={order.segment_id: "ORDER_SUBMITTED"},
                reminders_sent=0))
        session.add_all(rows)
    await engine.dispose()
    return threads


async def scrape(port: int) -> dict[str, float]:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    found: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("mobproc_bot_follower_round_seconds_") or \
                line.startswith("mobproc_bot_follower_rounds_total"):
            name, value = line.rsplit(" ", 1)
            found[name] = found.get(name, 0.0) + float(value)
    return found


def rounds_of(metrics: dict[str, float]) -> tuple[float, float]:
    count = metrics.get("mobproc_bot_follower_round_seconds_count", 0.0)
    return count, metrics.get("mobproc_bot_follower_round_seconds_sum", 0.0)


async def run_row(label: str, mode: str, replicas: int, open_orders: int, changing: float,
                  interval: float, intervals: int, latency: float, all_at_once: bool) -> Row:
    # Threads spread over many channels: Slack paces posts to about one a second per channel,
    # and one channel taking every reply would measure that pacing, not the follower.
    channels = [FakeChannel(f"CBENCH{n:03d}", f"bench-{n}") for n in range(CHANNELS)]
    api = FakeSlackWebAPI(bot_token=BOT_TOKEN, channels=channels)
    await api.start()
    replies: list[tuple[float, str]] = []

    def seen(call: RecordedCall) -> None:
        if call.ok and call.method == "chat.postMessage" and \
                CHANGED_TEXT in str(call.args.get("text", "")):
            replies.append((time.time(), str(call.args.get("thread_ts"))))

    api.listeners.append(seen)
    step = timedelta(seconds=interval * 1000)  # one status step per order in the window
    simulator = await start_simulator(SimulatorConfig(latency_seconds=latency,
                                                      step_seconds=step.total_seconds()))
    simulator.state.refuse_updated_filter = mode == "fallback"
    warm_up = 2 * interval + 10  # replicas start and finish a first round before changes
    start = datetime.now(UTC) + timedelta(seconds=warm_up)
    rng = random.Random(8)
    per_interval = max(1, round(open_orders * changing))
    changed = open_orders if all_at_once else min(open_orders, per_interval * intervals)
    change_at = []
    for i in range(open_orders):
        if i >= changed:
            # Its step falls after the run (and it was placed in the past, as all were).
            later = interval * (intervals + 5 + rng.random() * 500)
            change_at.append(start + timedelta(seconds=later))
        elif all_at_once:
            change_at.append(start)
        else:
            change_at.append(start + timedelta(seconds=interval * (i // per_interval +
                                                                   rng.random())))
    processes, stats, ports = [], [], []
    with tempfile.TemporaryDirectory(prefix="mobproc-follow-") as tmp:
        database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        threads = await seed(database_url, simulator, api, change_at, step)
        for n in range(replicas):
            port = free_port()
            env = {**bot_env(api, simulator, tmp, port), "DATABASE_URL": database_url,
                   "STATUS_POLL_SECONDS": str(interval), "APPROVAL_TTL_HOURS": "10000"}
            process = _spawn("bot", env, tmp, Path(tmp) / f"bot{n}.log")
            await _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
            processes.append(process)
            stats.append(ProcessStats(process.pid))
            ports.append(port)
        try:
            await asyncio.sleep(max((start - datetime.now(UTC)).total_seconds(), 0))
            before = [rounds_of(await scrape(p)) for p in ports]
            cpu_before = [s.cpu_seconds() for s in stats]
            window_start = time.monotonic()
            received_from = len(simulator.state.received)
            # The measured intervals, then two more for the last changes to be told.
            await asyncio.sleep(interval * (1 if all_at_once else intervals))
            received_to = len(simulator.state.received)
            await asyncio.sleep(interval * 2)
            after = [rounds_of(await scrape(p)) for p in ports]
            cpu_after = [s.cpu_seconds() for s in stats]
            rss = [s.peak_rss_mb() for s in stats]
        finally:
            for process in processes:
                _stop(process)
    await simulator.stop()
    await api.stop()

    calls = [r.at for r in simulator.state.received[received_from:received_to]
             if r.path.startswith("/mobproc/")]
    buckets = Counter(int((t - window_start) // interval) for t in calls)
    measured = 1 if all_at_once else intervals
    per_interval_counts = [buckets.get(k, 0) for k in range(measured)]
    all_calls = [r.at for r in simulator.state.received if r.path.startswith("/mobproc/")]
    peak = max((sum(1 for u in all_calls if t <= u < t + 1.0) for t in all_calls), default=0)
    told = Counter(ts for _, ts in replies)
    first_delays: dict[str, float] = {}
    for when, ts in replies:
        if ts in threads and ts not in first_delays:
            first_delays[ts] = when - change_at[threads[ts]].timestamp()
    round_seconds, cpu_per_round = [], []
    for (count0, sum0), (count1, sum1), c0, c1 in zip(before, after, cpu_before, cpu_after,
                                                      strict=True):
        rounds = count1 - count0
        # No round finished in the window (the per-order fallback over 10,000 orders takes
        # far longer): no round time, and the CPU of the whole window instead.
        round_seconds.append((sum1 - sum0) / rounds if rounds else float("nan"))
        cpu_per_round.append((c1 - c0) / max(rounds, 1))
    return Row(label=label, mode=mode, replicas=replicas, open_orders=open_orders,
               changes=changed, interval=interval, requests_per_interval=per_interval_counts,
               peak_rps=peak, delays=list(first_delays.values()), told=len(told),
               duplicates=sum(n - 1 for n in told.values()), round_seconds=round_seconds,
               cpu_per_round=cpu_per_round, peak_rss_mb=rss)


def _s(value: float) -> str:
    return "—" if value != value else f"{value:.1f} s"


def _round(value: float) -> str:
    return "none finished" if value != value else f"{value:.1f} s"


def table(rows: list[Row], max_rps: float) -> str:
    head = ("| run | replicas | open orders | changes | interval | MobProc requests per "
            "interval (max) | peak requests/s (limit per replica) | change → reply p50 / p99 "
            "| changes told (twice) | round wall time | bot CPU per round | peak RSS |")
    lines = [head, "|" + "---|" * 12]
    for r in rows:
        each = "; ".join
        lines.append(
            f"| {r.label} | {r.replicas} | {r.open_orders:,} | {r.changes:,} | "
            f"{r.interval:.0f} s | {max(r.requests_per_interval, default=0)} | "
            f"{r.peak_rps} ({max_rps:.0f}) | {_s(percentile(r.delays, 0.5))} / "
            f"{_s(percentile(r.delays, 0.99))} | {r.told:,} of {r.changes:,} "
            f"({r.duplicates}) | {each(_round(s) for s in r.round_seconds)} | "
            f"{each(f'{c * 1000:.0f} ms' for c in r.cpu_per_round)} | "
            f"{each(f'{m:.0f} MB' for m in r.peak_rss_mb)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=10_000, help="open orders")
    parser.add_argument("--changing", type=float, default=0.01,
                        help="share of open orders changing per interval")
    parser.add_argument("--interval", type=float, default=10.0, help="STATUS_POLL_SECONDS")
    parser.add_argument("--intervals", type=int, default=3, help="intervals measured")
    parser.add_argument("--latency", type=float, default=1.0, help="MobProc answer delay (s)")
    parser.add_argument("--rows", default="incremental:1,incremental:2,fallback:1,fallback:2,"
                                          "burst:1,burst:2",
                        help="mode:replicas,… (burst: 100 open orders all changing at once)")
    args = parser.parse_args(argv)
    rows = []
    for spec in args.rows.split(","):
        mode, replicas = spec.split(":")
        if mode == "burst":
            row = asyncio.run(run_row("100 all at once", "incremental", int(replicas), 100,
                                      1.0, 10.0, 1, args.latency, all_at_once=True))
        else:
            row = asyncio.run(run_row(mode, mode, int(replicas), args.open, args.changing,
                                      args.interval, args.intervals, args.latency,
                                      all_at_once=False))
        rows.append(row)
        print(table([row], 10.0).splitlines()[-1], flush=True)
    print()
    print(table(rows, 10.0))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
