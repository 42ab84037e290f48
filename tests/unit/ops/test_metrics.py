"""``GET /metrics``: what each replica did, and what the shared database holds, as
Prometheus scrapes it (text format, parsed with prometheus-client's own parser)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.domain import RequestState
from bot.mobproc.metering import endpoint_of
from bot.ops.metrics import BotMetrics
from bot.runtime import RunningBot
from bot.simulator.server import RunningSimulator
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from bot.storage.database import create_engine
from handlers.app import start_bot
from tests.conftest import APPROVER, ROOT, BotFactory, Clock, DriverFactory, bot_settings
from tests.support.flow import approved_order, open_form, pending_order
from tests.support.waiting import request_in

README = ROOT / "README.md"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(bot: RunningBot) -> Samples:
    async with httpx.AsyncClient() as http:
        answer = await http.get(f"{bot.url}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum over samples named ``name`` whose labels include ``labels`` (0 if none)."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


async def test_a_whole_order_shows_in_the_metrics(bot: RunningBot, driver: SlackDriver,
                                                  slack: FakeSlackWebAPI, clock: Clock) -> None:
    before = await scrape(bot)
    assert value(before, "mobproc_bot_database_up") == 1
    assert value(before, "mobproc_bot_decision_seconds_count") == 0

    _, channel, ts = await approved_order(driver, slack)
    request = await bot.ctx.repo.get_by_message(channel, ts)
    assert request is not None
    for _ in range(2):  # to COMPLETE
        clock.advance(10)
    await eventually(lambda: request_in(bot, request.id, RequestState.COMPLETED))

    async def settled() -> Samples | None:
        samples = await scrape(bot)
        return samples if value(samples, "mobproc_bot_outbox_backlog") == 0 else None

    after = await eventually(settled)
    assert value(after, "mobproc_bot_requests", type="SUSPEND", state="completed") == 1
    assert value(after, "mobproc_bot_requests", state="pending") == 0
    assert value(after, "mobproc_bot_decision_seconds_count", type="SUSPEND",
                 decision="approved") == 1
    assert value(after, "mobproc_bot_completion_seconds_count", type="SUSPEND",
                 status="COMPLETE") == 1
    # The simulator's clock moved 20 s between approval and completion.
    assert value(after, "mobproc_bot_completion_seconds_sum") >= 20
    assert value(after, "mobproc_bot_mobproc_calls_total", endpoint="GET /assets/services",
                 outcome="ok") >= 1
    assert value(after, "mobproc_bot_mobproc_calls_total", endpoint="POST /orders",
                 outcome="ok") == 2  # the confirmation and the order
    # The follower finds changes with one query (GET /orders?dateTimeUpdated=…).
    assert value(after, "mobproc_bot_mobproc_calls_total", endpoint="GET /orders") >= 1
    assert value(after, "mobproc_bot_mobproc_call_seconds_count",
                 endpoint="POST /orders") == 2
    assert value(after, "mobproc_bot_mobproc_token_renewals_total", outcome="ok") == 1
    posted = len([c for c in slack.calls_to("chat.postMessage") if c.ok])
    assert value(after, "mobproc_bot_slack_calls_total", method="chat.postMessage",
                 outcome="ok") == posted
    assert value(after, "mobproc_bot_slack_calls_total", method="views.open",
                 outcome="ok") == 1
    assert value(after, "mobproc_bot_follower_rounds_total", outcome="ok") >= 3
    assert value(after, "mobproc_bot_follower_round_seconds_count") >= 3
    assert 0 <= value(after, "mobproc_bot_follower_lag_seconds") < 5
    assert value(after, "mobproc_bot_pending_approvals") == 0
    assert value(after, "mobproc_bot_outbox_backlog") == 0
    assert value(after, "mobproc_bot_outbox_oldest_seconds") == 0


async def test_each_replica_counts_its_own_calls_and_reads_the_shared_backlog(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI) -> None:
    # Two replicas in one process: each has its own registry (a shared default one would
    # refuse the second bot's metrics).
    first, second = await start_test_bot(), await start_test_bot()
    _, channel, ts = await pending_order(driver_for(first), slack)
    # Slack fails thread replies and message updates: the decision's news waits queued.
    for method in ("chat.update", "chat.postMessage"):
        slack.fail_next(method, error="internal_error", status=500, retry_after=None,
                        times=1000)
    await driver_for(first).click_button(APPROVER, channel_id=channel, message_ts=ts,
                                         action_id="cancel_request")

    async def backlog_seen() -> bool:
        mine, theirs = await scrape(first), await scrape(second)
        return all(value(s, "mobproc_bot_outbox_backlog") >= 1
                   and value(s, "mobproc_bot_outbox_oldest_seconds") > 0 for s in (mine, theirs))

    await eventually(backlog_seen)
    mine, theirs = await scrape(first), await scrape(second)
    assert value(mine, "mobproc_bot_requests", state="cancelled") == 1
    assert value(theirs, "mobproc_bot_requests", state="cancelled") == 1
    # Only the first replica opened the form and talked to MobProc for it.
    assert value(mine, "mobproc_bot_mobproc_calls_total", endpoint="GET /orders/properties") == 1
    assert value(theirs, "mobproc_bot_mobproc_calls_total",
                 endpoint="GET /orders/properties") == 0
    assert value(mine, "mobproc_bot_decision_seconds_count", decision="cancelled") == 1
    assert value(theirs, "mobproc_bot_decision_seconds_count") == 0
    # Both replicas' outboxes try, fail and retry: Slack's 5xx answers are counted.
    assert value(mine, "mobproc_bot_slack_calls_total", outcome="internal_error") + \
        value(theirs, "mobproc_bot_slack_calls_total", outcome="internal_error") >= 1


async def test_pending_approvals_and_their_age_come_from_the_database(
        start_test_bot: BotFactory, driver_for: DriverFactory, slack: FakeSlackWebAPI) -> None:
    first, second = await start_test_bot(), await start_test_bot()
    await pending_order(driver_for(first), slack)
    for bot in (first, second):
        samples = await scrape(bot)
        assert value(samples, "mobproc_bot_pending_approvals") == 1
        assert value(samples, "mobproc_bot_requests", type="SUSPEND", state="pending") == 1
        assert value(samples, "mobproc_bot_pending_approval_oldest_seconds") > 0


async def test_slack_rate_limits_and_retries_are_counted(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI) -> None:
    slack.fail_next("chat.postMessage", error="ratelimited", status=429, retry_after=1)
    await pending_order(driver, slack)
    samples = await scrape(bot)
    assert value(samples, "mobproc_bot_slack_rate_limited_total", method="chat.postMessage") == 1
    assert value(samples, "mobproc_bot_slack_calls_total", method="chat.postMessage",
                 outcome="ratelimited") == 1
    assert value(samples, "mobproc_bot_slack_retries_total", method="chat.postMessage") == 1


async def test_mobproc_errors_and_429s_are_counted(
        bot: RunningBot, driver: SlackDriver, slack: FakeSlackWebAPI,
        simulator: RunningSimulator) -> None:
    simulator.state.add_fault("GET", r"/assets/services", status=429)
    simulator.state.add_fault("GET", r"/orders/properties", status=503)
    # The 429 holds calls back for its Retry-After, then the lookup is sent again; the 503
    # is retried too, and the form opens.
    await open_form(driver, slack, "/suspend-line", "404-555-3104")
    samples = await scrape(bot)
    assert value(samples, "mobproc_bot_mobproc_calls_total", endpoint="GET /assets/services",
                 outcome="rate_limited") == 1
    assert value(samples, "mobproc_bot_mobproc_rate_limited_total",
                 endpoint="GET /assets/services") == 1
    assert value(samples, "mobproc_bot_mobproc_calls_total", endpoint="GET /orders/properties",
                 outcome="server_error") == 1
    assert value(samples, "mobproc_bot_mobproc_calls_total", endpoint="GET /orders/properties",
                 outcome="ok") == 1


async def test_metrics_are_served_next_to_the_health_check_in_socket_mode(
        simulator: RunningSimulator, slack: FakeSlackWebAPI, database_url: str,
        clock: Clock) -> None:
    settings = bot_settings(simulator, slack, database_url,
                            SLACK_APP_TOKEN=slack.app_token, SLACK_SIGNING_SECRET=None)
    bot = await start_bot(settings, host="127.0.0.1", clock=clock)
    try:
        await eventually(lambda: slack.socket_connected)
        samples = await scrape(bot)
        assert value(samples, "mobproc_bot_database_up") == 1
        assert value(samples, "mobproc_bot_slack_calls_total", method="apps.connections.open",
                     outcome="ok") >= 1
    finally:
        await bot.stop()


def test_endpoint_labels_are_a_short_fixed_list() -> None:
    base, token = "https://api.example/mobproc/v1", "https://login.example/oauth/token"
    assert endpoint_of("GET", f"{base}/orders/9000001", base, token) == "GET /orders/{id}"
    assert endpoint_of("GET", f"{base}/orders/9000001/history?orderSegment=1", base,
                       token) == "GET /orders/{id}/history"
    assert endpoint_of("GET", f"{base}/assets/services?serviceNumber=1", base,
                       token) == "GET /assets/services"
    assert endpoint_of("GET", f"{base}/assets/services/abc-123", base,
                       token) == "GET /assets/services/{id}"
    assert endpoint_of("POST", f"{base}/orders?confirm=true", base, token) == "POST /orders"
    assert endpoint_of("POST", token, base, token) == "POST token"


async def test_the_readme_documents_exactly_the_metrics_served(bot: RunningBot) -> None:
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"{bot.url}/metrics")).text
    # prometheus-client's ``_created`` timestamps are its own, not ours to document.
    served = {family.name for family in text_string_to_metric_families(text)
              if not family.name.endswith("_created")}
    readme = README.read_text()
    documented = {name.removesuffix("_total")
                  for name in re.findall(r"^\| `(mobproc_bot_\w+)` \|", readme, re.M)}
    assert served == documented


async def test_a_database_outage_still_serves_the_replicas_own_counters(tmp_path: Path) -> None:
    metrics = BotMetrics()
    metrics.follower_round(0.5, ok=True)
    # The bot's own engine: a plain aiosqlite connection that fails to open stops its thread
    # without waiting, and its answer could reach this test's loop after it closed.
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'bot.db'}")
    try:
        text = (await metrics.scrape(broken)).decode()
    finally:
        await broken.dispose()
    samples = {(s.name, frozenset(s.labels.items())): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    assert value(samples, "mobproc_bot_database_up") == 0
    assert value(samples, "mobproc_bot_follower_rounds_total", outcome="ok") == 1
    assert not any(name.startswith("mobproc_bot_outbox") for name, _ in samples)
