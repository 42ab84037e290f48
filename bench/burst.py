"""A burst of people at once, through the bot's real HTTP endpoint; prints one table.

    .venv/bin/python -m bench.burst                      # the issue's whole matrix
    .venv/bin/python -m bench.burst --people 200 --latency 1
    .venv/bin/python -m bench.burst --people 20 --slack-rate-limits

Each row: the bot runs in its own process (``python -m bot``, so its CPU seconds and peak RSS
are its own), the MobProc simulator answers every call ``--latency`` seconds late, and a local
Slack Web API stand-in records what the bot sends. N people each type a slash command for
their own line, wait for the form, submit it, and an approver clicks Approve on their
approval message: requests signed as Slack signs them. In the same row a bare Bolt app that
only acks the same command is sent the same burst: the floor. Everything is on loopback;
every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.demo import fill_form
from bot.simulator.seed import bench_email, bench_number
from bot.simulator.server import RunningSimulator, SimulatorConfig, start_simulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import (
    DEFAULT_USERS,
    FakeSlackWebAPI,
    FakeUser,
    RateLimits,
    RecordedCall,
)

SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
APPROVER = "UAPPROVER"
APPROVAL_CHANNEL = "CAPPROVALS"
HELPDESK = "CHELPDESK"
SLACK_DEADLINE = 3.0
# The issue's matrix: (people at once, MobProc latency in seconds, Slack's rate limits on).
DEFAULT_RUNS = [(1, 1.0, False), (50, 1.0, False), (200, 1.0, False), (50, 3.0, False),
                (20, 1.0, True)]
ROOT = Path(__file__).resolve().parent.parent


def user_id(n: int) -> str:
    return f"UBENCH{n:04d}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ProcessStats:
    """CPU seconds and peak resident memory of one process, from /proc (Linux)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.ticks = os.sysconf("SC_CLK_TCK")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.ticks  # utime + stime

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


class Watcher:
    """Follows the stand-in's calls as they are made, so each person waits for their own
    step without scanning every call again."""

    def __init__(self, api: FakeSlackWebAPI) -> None:
        self.api = api
        self._futures: dict[tuple[str, str], asyncio.Future[Any]] = {}
        self.approval_updates = 0
        api.listeners.append(self._seen)

    def future(self, kind: str, key: str) -> asyncio.Future[Any]:
        found = self._futures.get((kind, key))
        if found is None:
            found = asyncio.get_running_loop().create_future()
            self._futures[(kind, key)] = found
        return found

    def _resolve(self, kind: str, key: str, value: Any) -> None:
        future = self.future(kind, key)
        if not future.done():
            future.set_result(value)

    async def watch_orders(self, simulator: RunningSimulator) -> None:
        """Orders appear in the simulator, not in Slack: look for new ones now and then."""
        seen = 0
        while True:
            orders = list(simulator.state.orders.values())
            for order in orders[seen:]:
                self._resolve("order", order.service_id, order.order_id)
            seen = len(orders)
            await asyncio.sleep(0.1)

    def _seen(self, call: RecordedCall) -> None:
        if not call.ok:
            return
        if call.method == "views.open" and call.args.get("trigger_id"):
            self._resolve("view", str(call.args["trigger_id"]), call.response["view"]["id"])
        elif call.method == "views.update":
            view = call.response["view"]
            if view.get("callback_id") == "order_form" and view.get("submit"):
                self._resolve("form", view["id"], view)
        elif call.method == "chat.postMessage" and call.args.get("channel") == APPROVAL_CHANNEL \
                and not call.args.get("thread_ts"):
            for value in _button_values(call.args.get("blocks")):
                self._resolve("approval", value, (call.response["channel"],
                                                  call.response["ts"]))
        elif call.method == "chat.update" and call.args.get("channel") == APPROVAL_CHANNEL:
            self.approval_updates += 1


def _button_values(blocks: Any) -> list[str]:
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return [e["value"] for b in blocks or [] if b.get("type") == "actions"
            for e in b.get("elements", []) if e.get("action_id") == "approve_request"]


@dataclass
class Flow:
    command_ack: float | None = None
    form_after: float | None = None
    approval_after: float | None = None  # from the submission's answer to the message
    submit_ack: float | None = None
    click_ack: float | None = None
    late_or_refused: int = 0  # answers after Slack's 3 s, or not a 200
    finished: bool = False
    problem: str | None = None


@dataclass
class Row:
    people: int
    latency: float
    rate_limits: bool
    flows: list[Flow]
    orders: int
    duplicates: int
    cpu_seconds: float
    peak_rss_mb: float
    floor_acks: list[float]
    floor_late: int
    floor_cpu_per_ack: float
    wall_seconds: float
    problems: Counter[str] = field(default_factory=Counter)
    # Slack Web API calls the bot made during the burst, by method.
    slack_calls: Counter[str] = field(default_factory=Counter)


async def _timed(request: Any) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    answer = await request
    return time.monotonic() - started, answer


def _check(flow: Flow, seconds: float, answer: httpx.Response) -> None:
    if seconds > SLACK_DEADLINE or answer.status_code != 200:
        flow.late_or_refused += 1


async def slash_command(driver: SlackDriver, api: FakeSlackWebAPI, user: str, text: str
                        ) -> tuple[str, float, httpx.Response]:
    """A slash command as Slack sends it; returns its trigger id with the ack."""
    trigger = api.issue_trigger_id()
    form = {"token": "legacy-verification-token", "team_id": "T0TEST", "team_domain": "acme",
            "channel_id": HELPDESK, "channel_name": "helpdesk", "user_id": user,
            "user_name": user.lower(), "command": "/suspend-line", "text": text,
            "api_app_id": "AFAKE", "is_enterprise_install": "false",
            "response_url": f"{api.base_url}../response/{secrets.token_hex(6)}",
            "trigger_id": trigger}
    seconds, answer = await _timed(driver.post_form(urlencode(form).encode()))
    return trigger, seconds, answer


async def one_flow(n: int, driver: SlackDriver, api: FakeSlackWebAPI, watcher: Watcher,
                   simulator: RunningSimulator, start: asyncio.Event, limit: float) -> Flow:
    flow = Flow()
    await start.wait()
    try:
        await asyncio.wait_for(_steps(n, flow, driver, api, watcher, simulator), limit)
    except TimeoutError:
        flow.problem = flow.problem or "not finished in time"
    return flow


async def _steps(n: int, flow: Flow, driver: SlackDriver, api: FakeSlackWebAPI,
                 watcher: Watcher, simulator: RunningSimulator) -> None:
    user = user_id(n)
    number = bench_number(n)
    began = time.monotonic()
    trigger, flow.command_ack, answer = await slash_command(
        driver, api, user, f"{number[:3]}-{number[3:6]}-{number[6:]} lost it")
    _check(flow, flow.command_ack, answer)
    if answer.status_code != 200 or answer.text:
        flow.problem = f"command answered {answer.status_code}"
        return
    flow.problem = "no form"
    view_id = await watcher.future("view", trigger)
    view = await watcher.future("form", view_id)
    flow.form_after = time.monotonic() - began
    flow.problem = "submission refused"
    flow.submit_ack, answer = await _timed(driver.submit_view(user, view, fill_form(view)))
    _check(flow, flow.submit_ack, answer)
    if answer.status_code != 200 or not _submission_taken(answer):
        flow.problem = f"submission answered {answer.status_code} {answer.text[:60]}"
        return
    flow.problem = "no approval message"
    submitted = time.monotonic()
    channel, ts = await watcher.future("approval", view["private_metadata"])
    flow.approval_after = time.monotonic() - submitted
    flow.problem = "click refused"
    flow.click_ack, answer = await _timed(driver.click_button(
        APPROVER, channel_id=channel, message_ts=ts, action_id="approve_request"))
    _check(flow, flow.click_ack, answer)
    flow.problem = "no order placed"
    await watcher.future("order", f"8800{n:04d}")
    flow.problem, flow.finished = None, True


def _submission_taken(answer: httpx.Response) -> bool:
    """The modal closed, or (MobProc slower than Slack waits) the "being checked" view that
    the bot updates later: a view without a submit button, unlike the form shown again."""
    if answer.text.strip() in ("", "{}"):
        return True
    try:
        body = answer.json()
    except ValueError:
        return False
    return body.get("response_action") == "update" and "submit" not in (body.get("view") or {})


async def _wait_healthy(url: str, process: subprocess.Popen[bytes], within: float = 60
                        ) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited with {process.returncode}")
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy within {within}s")


def _spawn(module: str, env: dict[str, str], cwd: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen([sys.executable, "-m", module], env=env, cwd=cwd,
                                stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def floor_burst(people: int, api: FakeSlackWebAPI, tmp: str
                      ) -> tuple[list[float], int, float]:
    """The same burst of commands to a bare Bolt app that only acks them."""
    port = free_port()
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": api.base_url, "PORT": str(port),
           "PYTHONPATH": str(ROOT)}
    process = _spawn("bench.floor", env, tmp, Path(tmp) / "floor.log")
    driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, api,
                         max_connections=people + 10)
    try:
        await _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        await slash_command(driver, api, user_id(0), "628-555-1000")  # warm-up
        stats = ProcessStats(process.pid)
        cpu_before = stats.cpu_seconds()
        results = await asyncio.gather(*(slash_command(driver, api, user_id(n),
                                                       f"628-555-{1000 + n}")
                                         for n in range(people)))
        cpu = await _settled(stats) - cpu_before
    finally:
        await driver.aclose()
        _stop(process)
    late = sum(1 for _, s, a in results if s > SLACK_DEADLINE or a.status_code != 200)
    return [s for _, s, _ in results], late, cpu / people


async def _settled(stats: ProcessStats, within: float = 15.0) -> float:
    """The bot's CPU seconds once it has gone quiet (what a flow set off is finished)."""
    last = stats.cpu_seconds()
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await asyncio.sleep(0.5)
        now = stats.cpu_seconds()
        if now - last < 0.01:
            return now
        last = now
    return last


def bot_env(api: FakeSlackWebAPI, simulator: RunningSimulator, tmp: str, port: int
            ) -> dict[str, str]:
    """The environment of a bot process using ``api`` as Slack and ``simulator`` as
    MobProc, its database in ``tmp``, serving on ``port``."""
    c = simulator.config
    env = {**os.environ, "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": api.base_url,
           "PORT": str(port), "MOBPROC_BASE_URL": simulator.base_url,
           "MOBPROC_TOKEN_URL": simulator.token_url, "MOBPROC_CLIENT_ID": c.client_id,
           "MOBPROC_CLIENT_SECRET": c.client_secret, "MOBPROC_USERNAME": c.username,
           "MOBPROC_PASSWORD": c.password, "MOBPROC_TENANT": c.tenant,
           "DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
           "APPROVERS": APPROVER, "APPROVAL_CHANNEL": APPROVAL_CHANNEL,
           "HELPDESK_CHANNELS": HELPDESK, "LOG_LEVEL": "WARNING",
           "PYTHONPATH": str(ROOT)}
    env.pop("SLACK_APP_TOKEN", None)
    return env


async def run_row(people: int, latency: float, limit: float, rate_limits: bool) -> Row:
    users = [*DEFAULT_USERS, *(FakeUser(user_id(n), f"bench{n}", f"Bench Person {n}",
                                        bench_email(n)) for n in range(people + 1))]
    api = FakeSlackWebAPI(bot_token=BOT_TOKEN, users=users,
                          rate_limits=RateLimits() if rate_limits else None)
    await api.start()
    # One more line than people: its flow warms the bot up before the burst is measured.
    simulator = await start_simulator(SimulatorConfig(latency_seconds=latency,
                                                      bench_people=people + 1,
                                                      step_seconds=3600))
    with tempfile.TemporaryDirectory(prefix="mobproc-bench-") as tmp:
        floor_acks, floor_late, floor_cpu = await floor_burst(people, api, tmp)
        port = free_port()
        bot = _spawn("bot", bot_env(api, simulator, tmp, port), tmp, Path(tmp) / "bot.log")
        driver = SlackDriver(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, api,
                             max_connections=people + 10)
        watcher = Watcher(api)
        orders = asyncio.create_task(watcher.watch_orders(simulator))
        try:
            await _wait_healthy(f"http://127.0.0.1:{port}/healthz", bot)
            stats = ProcessStats(bot.pid)
            warm = await one_flow(people, driver, api, watcher, simulator,
                                  _set(asyncio.Event()), limit)
            if not warm.finished:  # still measured: the burst shows the same problem
                print(f"  the warm-up flow did not finish: {warm.problem}", file=sys.stderr)
            start = asyncio.Event()
            cpu_before = await _settled(stats)
            calls_before = len(api.calls)
            began = time.monotonic()
            tasks = [asyncio.create_task(one_flow(n, driver, api, watcher, simulator, start,
                                                  limit)) for n in range(people)]
            start.set()
            flows = await asyncio.gather(*tasks)
            wall = time.monotonic() - began
            cpu = await _settled(stats) - cpu_before
            slack_calls = Counter(c.method for c in api.calls[calls_before:])
            rss = stats.peak_rss_mb()
        finally:
            orders.cancel()
            await driver.aclose()
            _stop(bot)
            log = (Path(tmp) / "bot.log").read_text(errors="replace")
        placed = Counter(o.service_id for o in simulator.state.orders.values())
        burst = {f"8800{n:04d}" for n in range(people)}
    await simulator.stop()
    await api.stop()
    errors = [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line]
    if errors:
        print(f"  (bot log for {people} people: {len(errors)} error lines, first: "
              f"{errors[0][:160]})", file=sys.stderr)
    return Row(people=people, latency=latency, rate_limits=rate_limits, flows=flows,
               orders=sum(v for k, v in placed.items() if k in burst),
               duplicates=sum(v - 1 for v in placed.values() if v > 1),
               cpu_seconds=cpu, peak_rss_mb=rss, floor_acks=floor_acks,
               floor_late=floor_late, floor_cpu_per_ack=floor_cpu, wall_seconds=wall,
               problems=Counter(f.problem for f in flows if f.problem),
               slack_calls=slack_calls)


def _set(event: asyncio.Event) -> asyncio.Event:
    event.set()
    return event


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def _ms(value: float) -> str:
    if value != value:
        return "—"
    if value >= 10:
        return f"{value:.1f} s"
    return f"{value * 1000:.1f} ms" if value < 0.01 else f"{value * 1000:.0f} ms"


def _ratio(value: float, floor: float) -> str:
    return "—" if value != value or not floor else f"{value / floor:.2f}×"


def _pair(values: list[float | None]) -> str:
    present = [v for v in values if v is not None]
    return f"{_ms(percentile(present, 0.5))} / {_ms(percentile(present, 0.99))}"


def calls_per_flow(row: Row) -> str:
    """The Slack Web API calls the bot made per finished flow, by method."""
    finished = sum(f.finished for f in row.flows)
    if not finished:
        return "Slack calls per flow: —"
    each = ", ".join(f"{method} {n / finished:.2f}"
                     for method, n in row.slack_calls.most_common())
    return f"Slack calls per flow: {row.slack_calls.total() / finished:.2f} ({each})"


def table(rows: list[Row]) -> str:
    head = ("| people | MobProc latency | Slack rate limits | flows finished "
            "| orders placed (duplicates) | answers over 3 s | command ack p50 / p99 "
            "| submit ack p50 / p99 "
            "| click ack p50 / p99 | form shown after p50 / p99 "
            "| approval message after p50 / p99 | bot CPU per flow "
            "| peak RSS | floor ack p50 / p99 | command p99 ÷ floor | click p99 ÷ floor "
            "| floor CPU per ack |")
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in rows:
        finished = sum(f.finished for f in r.flows)
        floor_p99 = percentile(r.floor_acks, 0.99)
        cmd = [f.command_ack for f in r.flows if f.command_ack is not None]
        clicks = [f.click_ack for f in r.flows if f.click_ack is not None]
        late = sum(f.late_or_refused for f in r.flows)
        per_flow = r.cpu_seconds / finished if finished else float("nan")
        lines.append(
            f"| {r.people} | {r.latency:g} s | {'on' if r.rate_limits else 'off'} "
            f"| {finished} / {r.people} "
            f"| {r.orders} ({r.duplicates}) | {late} | {_pair(list(cmd))} "
            f"| {_pair([f.submit_ack for f in r.flows])} | {_pair(list(clicks))} "
            f"| {_pair([f.form_after for f in r.flows])} "
            f"| {_pair([f.approval_after for f in r.flows])} | {_ms(per_flow)} "
            f"({r.cpu_seconds:.1f} s in all) "
            f"| {r.peak_rss_mb:.0f} MB | {_pair(list(r.floor_acks))} "
            f"| {_ratio(percentile(cmd, 0.99), floor_p99)} "
            f"| {_ratio(percentile(clicks, 0.99), floor_p99)} | {_ms(r.floor_cpu_per_ack)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.burst", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, nargs="+", choices=range(1, 1000),
                        metavar="N", help="people at once (e.g. 1 50 200)")
    parser.add_argument("--latency", type=float, nargs="+",
                        help="MobProc latency in seconds (e.g. 1 3)")
    parser.add_argument("--slack-rate-limits", action="store_true",
                        help="the Slack stand-in enforces Slack's rate limits (429s)")
    parser.add_argument("--limit", type=float, default=None,
                        help="seconds a flow may take before it counts as not finished "
                             "(default: 60 + 3 per person, as the approval channel takes "
                             "about one message a second, Slack's own limit)")
    args = parser.parse_args(argv)
    # A confirmation the bot gave up waiting for closes its connection to the simulator;
    # aiohttp would print each as a traceback here. The table says what was lost.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    if args.people or args.latency or args.slack_rate_limits:
        runs = [(p, lat, args.slack_rate_limits) for lat in (args.latency or [1.0])
                for p in (args.people or [50])]
    else:
        runs = DEFAULT_RUNS
    rows: list[Row] = []
    for people, latency, limits in runs:
        print(f"… {people} people at once, MobProc at {latency:g} s"
              f"{', Slack rate limits on' if limits else ''}", file=sys.stderr)
        limit = args.limit if args.limit is not None else 60.0 + 3.0 * people
        try:
            row = asyncio.run(run_row(people, latency, limit, limits))
        except Exception as exc:  # one broken row must not lose the others' figures
            print(f"  this row failed: {exc!r}", file=sys.stderr)
            continue
        if row.problems:
            print(f"  unfinished: {dict(row.problems)}", file=sys.stderr)
        print(f"  {row.wall_seconds:.1f} s, bot CPU {row.cpu_seconds:.2f} s", file=sys.stderr)
        print(f"  {calls_per_flow(row)}", file=sys.stderr)
        rows.append(row)
    print(f"\nBurst benchmark ({os.cpu_count()} CPUs; floor: a bare Bolt app acking the "
          f"same command)\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

