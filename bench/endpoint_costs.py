"""CPU the Slack endpoint spends on a request besides the listener's own work; prints two
tables.

    .venv/bin/python -m bench.endpoint_costs
    .venv/bin/python -m bench.endpoint_costs --delay 1 --in-flight 1 50

- Reading a form body: an order form's submission, as Slack sends it (its whole view
  URL-encoded in ``payload=``), read by ``urllib.parse.parse_qsl`` and by the endpoint's
  ``form_fields`` (yarl). The form is built by the bot's own modal from Tangoe's published
  property examples (``tests/fixtures/mobproc``).
- Waiting for a late ack: a Bolt app whose listener acks after ``--delay`` seconds (as a
  submission waits for MobProc's confirmation), with Bolt's own listener runner and with
  the bot's (``bot/slack/ack_runner.py``): CPU per request and the event loop's wake-ups (calls
  to its selector) per request. Requests go straight to ``async_dispatch``: no HTTP, so
  the difference is the runner's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_request import AsyncBoltRequest

from blocks.orders.modals import order_form_view
from bot.domain import OrderForm, TransactionType
from bot.mobproc.models import (
    AcknowledgementsResponse,
    PropertiesResponse,
    PropertyGroup,
    ServiceAsset,
)
from bot.slack.ack_runner import wait_on_acks
from bot.slack.endpoint import form_fields
from bot.slack.kept_ack import keep_acks
from bot.slack_standin.driver import view_state

EXAMPLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "mobproc"
FORM = {"content-type": ["application/x-www-form-urlencoded"]}


def _example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text())


def submission_bodies(count: int) -> list[str]:
    """``count`` order form view_submissions, form-encoded as Slack posts them. Each is a
    different string (its own trigger_id), as the bot's requests are: yarl keeps the last
    128 URLs it built, so one body read again and again would measure that cache."""
    properties = PropertiesResponse.model_validate(_example("properties.new_activation.json"))
    form = OrderForm(request_id="req-1", transaction_type=TransactionType.SUSPEND,
                     service=ServiceAsset.model_validate(_example("service_asset.json")),
                     property_groups=[PropertyGroup(groupId="MISCELLANEOUS",
                                                    fields=properties.properties.items[0]
                                                    .fields)],
                     acknowledgements=AcknowledgementsResponse.model_validate(
                         _example("acknowledgements.json")))
    view = order_form_view(form)
    view = {**view, "id": "V1", "state": {"values": view_state(view, {})}}
    return [urlencode({"payload": json.dumps({
        "type": "view_submission", "team": {"id": "T1", "domain": "acme"},
        "user": {"id": "U1", "name": "u1", "team_id": "T1"}, "api_app_id": "A1",
        "trigger_id": f"{n}.2.3", "view": view, "response_urls": []})})
        for n in range(count)]


def _parse_qsl(body: str) -> list[tuple[str, str]]:
    return parse_qsl(body, keep_blank_values=True)


def parse_rows(repeat: int) -> list[str]:
    bodies = submission_bodies(repeat)
    rows = []
    for name, parse in (("urllib.parse.parse_qsl", _parse_qsl),
                        ("form_fields (yarl)", form_fields)):
        cpu = time.process_time()
        for body in bodies:
            parse(body)
        rows.append(f"| {name} | {len(bodies[0]):,} bytes | "
                    f"{(time.process_time() - cpu) / repeat * 1e6:.0f} µs |")
    for body in bodies[:20]:  # after the timing: it fills yarl's cache
        assert form_fields(body) == _parse_qsl(body)
    return rows


def _app(delay: float, *, ours: bool) -> AsyncApp:
    async def authorize(**_: Any) -> AuthorizeResult:  # no auth.test: nothing leaves
        return AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-bench",
                               bot_user_id="UBOT", bot_id="B1")

    app = AsyncApp(signing_secret="secret", request_verification_enabled=False,
                   authorize=authorize)
    if ours:
        wait_on_acks(app)
    app.use(keep_acks)

    @app.view("order_form")
    async def acks_late(ack: AsyncAck) -> None:
        await asyncio.sleep(delay)  # as a submission waiting for MobProc's confirmation
        await ack()

    return app


def _request() -> AsyncBoltRequest:
    payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U1"},
               "api_app_id": "A1", "view": {"id": "V1", "type": "modal",
                                            "callback_id": "order_form",
                                            "state": {"values": {}}}}
    return AsyncBoltRequest(body=urlencode({"payload": json.dumps(payload)}), headers=FORM)


async def ack_row(runner: str, delay: float, in_flight: int, rounds: int) -> str:
    app = _app(delay, ours=runner != "Bolt's own")
    loop = asyncio.get_running_loop()
    selector = loop._selector  # type: ignore[attr-defined]
    select = selector.select
    wakeups = 0

    def counting_select(timeout: float | None = None) -> Any:
        nonlocal wakeups
        wakeups += 1
        return select(timeout)

    await app.async_dispatch(_request())  # warm-up
    selector.select = counting_select
    try:
        cpu = time.process_time()
        for _ in range(rounds):
            answers = await asyncio.gather(*(app.async_dispatch(_request())
                                             for _ in range(in_flight)))
            assert all(a.status == 200 for a in answers)
        used = time.process_time() - cpu
    finally:
        selector.select = select
    requests = rounds * in_flight
    return (f"| {runner} | {delay:g} s | {in_flight} | {used / requests * 1e3:.2f} ms | "
            f"{wakeups / requests:.1f} |")


async def run(delay: float, in_flight: list[int], rounds: int, repeat: int) -> None:
    print("Reading a form body (an order form's submission):\n")
    print("| parser | body | CPU per body |")
    print("|---|---|---|")
    for row in parse_rows(repeat):
        print(row, flush=True)
    print("\nWaiting for a late ack (Bolt app, listener acks after the delay):\n")
    print("| listener runner | ack after | in flight | CPU per request | "
          "loop wake-ups per request |")
    print("|---|---|---|---|---|")
    for flight in in_flight:
        for runner in ("Bolt's own", "the bot's (told of the ack)"):
            print(await ack_row(runner, delay, flight, rounds), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.endpoint_costs",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--delay", type=float, default=1.0,
                        help="seconds before the listener acks (default 1, MobProc's "
                             "latency in the burst bench)")
    parser.add_argument("--in-flight", type=int, nargs="+", default=[1, 50])
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of requests per row (default 5)")
    parser.add_argument("--repeat", type=int, default=2000,
                        help="form bodies read per parser (default 2000)")
    args = parser.parse_args(argv)
    asyncio.run(run(args.delay, args.in_flight, args.rounds, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
