"""The benches added for the endpoint, the collector and SQLite transactions still run and
print their tables (their figures are for people to read, not for tests to judge)."""

from __future__ import annotations

import re

import pytest

from bench import endpoint_costs, gc_freeze, sqlite_statements
from bot.slack.endpoint import form_fields


def test_the_order_form_bodies_read_the_same_with_yarl_as_with_urllib() -> None:
    bodies = endpoint_costs.submission_bodies(3)
    assert len(set(bodies)) == 3  # distinct strings, so yarl's cache is not what is timed
    for body in bodies:
        assert form_fields(body) == endpoint_costs._parse_qsl(body)
        assert [name for name, _ in form_fields(body)] == ["payload"]


async def test_endpoint_costs_prints_both_tables(capsys: pytest.CaptureFixture[str]) -> None:
    await endpoint_costs.run(delay=0.05, in_flight=[2], rounds=1, repeat=5)
    rows = [line for line in capsys.readouterr().out.splitlines()
            if re.search(r"\d (µs|ms) \|", line)]  # the rows with a figure
    assert [r.split(" | ")[0] for r in rows] == [
        "| urllib.parse.parse_qsl", "| form_fields (yarl)", "| Bolt's own",
        "| the bot's (told of the ack)"]


async def test_gc_freeze_prints_both_rows(capsys: pytest.CaptureFixture[str]) -> None:
    await gc_freeze.run(times=1)
    out = capsys.readouterr().out
    assert re.search(r"^\| not frozen \| [\d,]+ \| [\d.]+ ms \|$", out, re.M)
    assert re.search(r"^\| frozen \([\d,]+ objects\) \| — \| [\d.]+ ms \|$", out, re.M)


async def test_sqlite_statements_prints_each_way_of_running_a_transaction(
        capsys: pytest.CaptureFixture[str]) -> None:
    await sqlite_statements.run(transactions=20, in_flight=[2])
    rows = [line.split(" | ")[:3] for line in capsys.readouterr().out.splitlines()
            if re.search(r"\d µs \|$", line)]
    assert rows == [[f"| {mode}", kind, "2"] for kind in ("write", "read")
                    for mode in ("on the loop", "on the loop, one greenlet", "handed off")]
