"""Prometheus metrics of one running bot.

Each running bot has its own registry (never the global default one): tests start several
bots in one process, and each replica exposes its own process counters. Gauges that describe
the shared database are read from it when ``/metrics`` is scraped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.figures import DatabaseFigures, read_figures

log = logging.getLogger(__name__)

# People decide within minutes to days; MobProc completes orders within hours to days.
HUMAN_BUCKETS = (60, 300, 900, 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600, 168 * 3600)
CALL_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class DatabaseCollector(Collector):
    """Yields the figures read at the latest scrape (or that the database is unreachable)."""

    def __init__(self) -> None:
        self.figures: DatabaseFigures | None = None
        self.read_at = datetime.now(UTC)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("mobproc_bot_database_up",
                               "1 when the database answered the last scrape, else 0.")
        up.add_metric([], 1.0 if self.figures is not None else 0.0)
        yield up
        f = self.figures
        if f is None:
            return
        requests = GaugeMetricFamily("mobproc_bot_requests",
                                     "Line order requests in the database by order type and "
                                     "state.", labels=["type", "state"])
        for row in f.requests:
            requests.add_metric([row.transaction_type, row.state], row.count)
        yield requests
        yield GaugeMetricFamily("mobproc_bot_pending_approvals",
                                "Requests waiting for an approver's decision.",
                                value=f.pending_approvals)
        yield GaugeMetricFamily("mobproc_bot_pending_approval_oldest_seconds",
                                "Age of the oldest request waiting for a decision (0: none).",
                                value=self._age(f.oldest_pending_since))
        yield GaugeMetricFamily("mobproc_bot_outbox_backlog",
                                "Slack calls queued in the outbox and not yet sent.",
                                value=f.outbox_backlog)
        yield GaugeMetricFamily("mobproc_bot_outbox_oldest_seconds",
                                "Age of the oldest unsent outbox entry (0: none).",
                                value=self._age(f.oldest_queued_since))

    def _age(self, since: datetime | None) -> float:
        return max((self.read_at - since).total_seconds(), 0.0) if since else 0.0


# What generate_latest writes, in whichever prometheus-client version is installed.
CONTENT_TYPE = CONTENT_TYPE_LATEST


class BotMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.decision_seconds = Histogram(
            "mobproc_bot_decision_seconds",
            "Time from a request to its decision, by order type and decision "
            "(approved, cancelled, expired).",
            ["type", "decision"], buckets=HUMAN_BUCKETS, registry=r)
        self.completion_seconds = Histogram(
            "mobproc_bot_completion_seconds",
            "Time from approval to the order's final status in MobProc, by order type and "
            "final status.", ["type", "status"], buckets=HUMAN_BUCKETS, registry=r)
        self.mobproc_calls = Counter(
            "mobproc_bot_mobproc_calls", "MobProc HTTP calls (each attempt) by endpoint and "
            "outcome (ok, refused, not_found, unauthorized, rate_limited, server_error, "
            "timeout, unreachable).", ["endpoint", "outcome"], registry=r)
        self.mobproc_seconds = Histogram(
            "mobproc_bot_mobproc_call_seconds", "MobProc call latency by endpoint.",
            ["endpoint"], buckets=CALL_BUCKETS, registry=r)
        self.mobproc_rate_limited = Counter(
            "mobproc_bot_mobproc_rate_limited", "MobProc answers 429 (too many requests).",
            ["endpoint"], registry=r)
        self.mobproc_token_renewals = Counter(
            "mobproc_bot_mobproc_token_renewals", "OAuth token fetches and renewals by outcome.",
            ["outcome"], registry=r)
        self.slack_calls = Counter(
            "mobproc_bot_slack_calls", "Slack Web API calls (each attempt) by method and "
            "outcome (ok, or Slack's error code).", ["method", "outcome"], registry=r)
        self.slack_retries = Counter(
            "mobproc_bot_slack_retries", "Slack Web API calls retried by slack-sdk's retry "
            "handlers or by the outbox, by method.", ["method"], registry=r)
        self.slack_rate_limited = Counter(
            "mobproc_bot_slack_rate_limited", "Slack Web API answers 429 (rate limited).",
            ["method"], registry=r)
        self.follower_round_seconds = Histogram(
            "mobproc_bot_follower_round_seconds", "Duration of the status follower's rounds.",
            buckets=CALL_BUCKETS, registry=r)
        self.follower_rounds = Counter(
            "mobproc_bot_follower_rounds", "Status follower rounds by outcome (ok, failed).",
            ["outcome"], registry=r)
        self._started = time.monotonic()
        self._last_round: float | None = None
        Gauge("mobproc_bot_follower_lag_seconds",
              "Seconds since this replica's follower last finished a round (since start-up "
              "if it has not yet).", registry=r).set_function(self._follower_lag)
        self.database = DatabaseCollector()
        r.register(self.database)

    # --- hooks the core calls ---------------------------------------------------------

    def decided(self, transaction_type: str, decision: str, requested_at: datetime,
                decided_at: datetime) -> None:
        self.decision_seconds.labels(transaction_type, decision).observe(
            max((decided_at - requested_at).total_seconds(), 0.0))

    def completed(self, transaction_type: str, status: str, approved_at: datetime | None,
                  now: datetime) -> None:
        if approved_at is not None:
            self.completion_seconds.labels(transaction_type, status).observe(
                max((now - approved_at).total_seconds(), 0.0))

    def follower_round(self, seconds: float, *, ok: bool) -> None:
        self.follower_round_seconds.observe(seconds)
        self.follower_rounds.labels("ok" if ok else "failed").inc()
        if ok:
            self._last_round = time.monotonic()

    def _follower_lag(self) -> float:
        return time.monotonic() - (self._last_round or self._started)

    # --- scraping -----------------------------------------------------------------------

    async def scrape(self, engine: AsyncEngine) -> bytes:
        """The Prometheus text exposition, with the database figures read just now."""
        try:
            figures: DatabaseFigures | None = await read_figures(engine)
        except Exception as exc:  # still expose this replica's own counters
            log.warning("Metrics: database unavailable: %s", type(exc).__name__)
            figures = None
        self.database.figures, self.database.read_at = figures, datetime.now(UTC)
        return generate_latest(self.registry)
