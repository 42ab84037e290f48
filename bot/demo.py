"""``python -m bot demo``: whole orders against the simulator and a local Slack stand-in.

Everything goes through the bot's real HTTP endpoint with signed requests, exactly as Slack
would send them, and prints what each person would see, with a Block Kit Builder link.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from blocks.render import builder_url, to_text
from bot.domain import LineRequest, RequestState
from bot.mobproc.models import TransactionType
from bot.offboarding.models import OffboardingState
from bot.runtime import RunningBot, start_bot_at_the_edge
from bot.settings import Settings
from bot.simulator.server import RunningSimulator, SimulatorConfig
from bot.slack_standin.driver import SlackDriver
from bot.slack_standin.fake_web_api import FakeSlackWebAPI, FakeUser
from bot.slack_standin.polling import eventually

SIGNING_SECRET = "demo-signing-secret"
BOT_TOKEN = "xoxb-demo-token"
REQUESTER = "URequester"
APPROVER = "UAPPROVER"
EMPLOYEE = "UOTHER"
APPROVAL_CHANNEL = "CAPPROVALS"
HELPDESK_CHANNEL = "CHELPDESK"


@dataclass(frozen=True)
class Scenario:
    transaction_type: TransactionType
    command: str
    text: str


SCENARIOS = [
    Scenario(TransactionType.SUSPEND, "/suspend-line", "404-555-3104 lost it at the airport"),
    Scenario(TransactionType.UNSUSPEND, "/unsuspend-line", "(415) 555-0142"),
    Scenario(TransactionType.DEACTIVATE, "/deactivate-line", "+1 212 555 0123 left the company"),
    Scenario(TransactionType.XFER_SERVICE_OUT, "/transfer-line", "415.555.0199"),
]


def fill_form(view: dict[str, Any], *, today: datetime | None = None) -> dict[str, Any]:
    """Answers a person would give: keep pre-filled values, fill what is required."""
    tomorrow = ((today or datetime.now(UTC)) + timedelta(days=1)).date().isoformat()
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        if block.get("type") != "input":
            continue
        block_id, element = block["block_id"], block["element"]
        kind = element.get("type")
        if kind == "checkboxes":
            values[block_id] = [o["value"] for o in element.get("options", [])]
        elif kind == "datepicker":
            values[block_id] = element.get("initial_date") or tomorrow
        elif kind == "static_select":
            initial = element.get("initial_option")
            options = [o for group in element.get("option_groups", [{"options": []}])
                       for o in group["options"]] or element.get("options", [])
            plain = [o for o in options if "other" not in o["text"]["text"].lower()]
            if initial or plain:
                values[block_id] = (initial or plain[0])["value"]
        elif kind == "plain_text_input":
            if element.get("initial_value"):
                values[block_id] = element["initial_value"]
            elif "EMAIL" in block_id.upper():
                values[block_id] = "riley.personal@example.com"
            elif not block.get("optional"):
                values[block_id] = "Requested from Slack"
    return values


class DemoPrinter:
    def __init__(self, out: Callable[[str], None], names: dict[str, str]) -> None:
        self.out = out
        self.names = names

    def step(self, who: str, what: str) -> None:
        self.out(f"\n▶ {who}: {what}")

    def shows(self, who: str, payload: dict[str, Any]) -> None:
        self.out(f"  {who} sees:")
        for line in to_text(payload, self.names).splitlines():
            self.out(f"    {line}")
        self.out(f"    Block Kit Builder: {builder_url(payload)}")


async def _play(bot: RunningBot, api: FakeSlackWebAPI, driver: SlackDriver,
                scenario: Scenario, show: DemoPrinter) -> bool:
    show.out(f"\n{'=' * 78}\n{scenario.command} — {scenario.transaction_type.value}\n{'=' * 78}")
    show.step("Riley (requester)", f"types `{scenario.command} {scenario.text}` in #helpdesk")
    before = len(api.calls_to("views.update"))
    answer = await driver.slash_command(REQUESTER, scenario.command, scenario.text,
                                        channel_id=HELPDESK_CHANNEL)
    if answer.status_code != 200:
        show.out(f"  The bot answered HTTP {answer.status_code}")
        return False
    return await _complete(bot, api, driver, show, await _modal_after(api, before))


async def _play_helpdesk(bot: RunningBot, api: FakeSlackWebAPI, driver: SlackDriver,
                         show: DemoPrinter) -> bool:
    show.out(f"\n{'=' * 78}\nA request posted in the help-desk channel\n{'=' * 78}")
    text = "My phone was stolen on the train :( can you suspend (415) 555-0142 please?"
    show.step("Olive (employee)", f"posts in #helpdesk: “{text}”")
    ts, _ = await driver.post_message(EMPLOYEE, HELPDESK_CHANNEL, text)
    reply = await api.wait_for(lambda: next(iter(_bot_replies(api, ts)), None))
    show.shows("#helpdesk thread", reply)
    button = next(e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"])
    show.step("Riley (help desk)", f"clicks {button['text']['text']}")
    before = len(api.calls_to("views.update"))
    await driver.click_button(REQUESTER, channel_id=HELPDESK_CHANNEL, message_ts=reply["ts"],
                              action_id=button["action_id"])
    ok = await _complete(bot, api, driver, show, await _modal_after(api, before))
    for message in _bot_replies(api, ts)[1:]:
        show.shows("#helpdesk thread (Olive follows her order here)", message)
    direct = [c for c in api.calls_to("chat.postMessage")
              if c.ok and c.args.get("channel") == EMPLOYEE]
    for call in direct:
        show.shows("Olive (direct message from the bot)", call.args)
    return ok and bool(direct)


LEAVER = "ULEAVER"
LEAVER_CHOICES = {"41000101": "XFER_SERVICE_OUT", "41000102": "DEACTIVATE",
                  "41000103": "SUSPEND"}


async def _play_offboarding(bot: RunningBot, api: FakeSlackWebAPI, driver: SlackDriver,
                            show: DemoPrinter) -> bool:
    show.out(f"\n{'=' * 78}\nA leaver's lines, in one request\n{'=' * 78}")
    api.users[LEAVER] = FakeUser(LEAVER, "lena", "Lena Leaver", "lena@acme.com")
    show.names[LEAVER] = "Lena Leaver"
    show.step("Riley (help desk)", "types /offboard-lines @Lena Leaver")
    before = len(api.calls_to("views.update"))
    await driver.slash_command(REQUESTER, "/offboard-lines", f"<@{LEAVER}|lena>",
                               channel_id=HELPDESK_CHANNEL)
    choose = await _modal_after(api, before)
    show.shows("Riley", choose)
    if not choose.get("submit"):
        return False
    show.step("Riley", "transfers the phone to Lena, deactivates the iPad line, suspends the "
                       "Pixel line, and presses Continue")
    before = len(api.calls_to("views.update"))
    await driver.submit_view(REQUESTER, choose, LEAVER_CHOICES)
    details = await _modal_after(api, before)
    show.shows("Riley", details)
    if details.get("callback_id") != "offboard_details":
        return False
    show.step("Riley", "answers once for all three orders and presses Send for approval")
    posts_before = len(api.calls_to("chat.postMessage"))
    await driver.submit_view(REQUESTER, details, fill_form(details))
    channel, ts = await _approval_message_after(api, posts_before)
    show.shows("#approvals", api.messages[(channel, ts)])
    show.step("Avery (approver)", "clicks Approve")
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_offboarding")
    offboarding_id = details.get("private_metadata") or ""
    await eventually(lambda: _offboarding_done(bot, offboarding_id), within=60)
    show.shows("#approvals (the message, updated)", api.messages[(channel, ts)])
    for reply in api.thread_replies(channel, ts):
        show.shows("#approvals thread", reply)
    return any("All done" in r.get("text", "") for r in api.thread_replies(channel, ts))


async def _offboarding_done(bot: RunningBot, offboarding_id: str) -> bool:
    """Every line's order ended, the summary and each reply sent."""
    offboarding = await bot.ctx.offboarding.get(offboarding_id)
    if offboarding is None or offboarding.state is not OffboardingState.DONE:
        return False
    return not [c for c in await bot.ctx.repo.queued_calls() if c.request_id == offboarding_id]


async def _play_mobproc_approval(api: FakeSlackWebAPI, driver: SlackDriver,
                                 show: DemoPrinter, simulator: RunningSimulator | None) -> bool:
    show.out(f"\n{'=' * 78}\nAn order waiting in MobProc's own approval workflow\n{'=' * 78}")
    if simulator is None:
        return False
    # This tenant approves orders in MobProc too: a portal order waits for Avery.
    simulator.state.seed_portal_orders()
    dm_channel = f"D{APPROVER}"
    show.step("Avery (approver)", "opens the bot's App Home")
    await driver.event({"type": "app_home_opened", "user": APPROVER, "tab": "home",
                        "channel": dm_channel})
    dm = await api.wait_for(lambda: next((m for (c, _), m in api.messages.items()
                                          if c == dm_channel and m.get("blocks")), None))
    show.shows("Avery (direct message from the bot)", dm)
    show.step("Avery", "clicks Approve")
    before = len(api.calls_to("chat.postMessage"))
    await driver.click_button(APPROVER, channel_id=dm_channel, message_ts=dm["ts"],
                              action_id="mobproc_approve")
    notice = await api.wait_for(lambda: next(
        (c for c in api.calls_to("chat.postMessage")[before:]
         if c.ok and c.args.get("channel") in (APPROVER, dm_channel)), None))
    show.shows("Avery (direct message from the bot)", notice.args)
    await api.wait_for(lambda: api.messages[(dm_channel, dm["ts"])].get("edited"))
    show.shows("Avery (the first message, updated: no second answer possible)",
               api.messages[(dm_channel, dm["ts"])])
    return [p["body"]["action"] for p in simulator.state.approval_posts] == ["APPROVE"]


async def _play_workflow_step(bot: RunningBot, api: FakeSlackWebAPI, driver: SlackDriver,
                              show: DemoPrinter) -> bool:
    show.out(f"\n{'=' * 78}\nA Workflow Builder step: “Suspend a phone line”\n{'=' * 78}")
    inputs = {"line_number": "207-946-0958", "requester": REQUESTER}
    show.step("Slack (a “Lost device” workflow)", "runs the step Suspend a phone line with "
              f"{inputs['line_number']} for Riley")
    execution_id, _ = await driver.run_step("suspend_line", inputs)
    dm = await api.wait_for(lambda: next(
        (c for c in api.calls_to("chat.postMessage") if c.ok and
         c.args.get("channel") == REQUESTER and execution_id in str(c.args.get("blocks"))),
        None))
    show.shows("Riley (direct message from the bot)", dm.args)
    show.step("Riley", "clicks Fill in the order")
    before = len(api.calls_to("views.update"))
    await driver.click_button(REQUESTER, channel_id=dm.response["channel"],
                              message_ts=dm.response["ts"], action_id="workflow_step_fill_in")
    view = await _modal_after(api, before)
    show.shows("Riley", view)
    if not view.get("submit"):
        return False
    show.step("Riley", "fills in the form and presses the submit button")
    posts_before = len(api.calls_to("chat.postMessage"))
    await driver.submit_view(REQUESTER, view, fill_form(view))
    channel, ts = await _approval_message_after(api, posts_before)
    await eventually(lambda: bot.ctx.repo.get_by_message(channel, ts))
    show.step("Avery (approver)", "clicks Approve on the approval message in #approvals (as "
                                  "for the slash command)")
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    done = await api.wait_for(lambda: next(iter(api.completions(execution_id)), None),
                              within=30)
    show.out(f"  Workflow Builder gets {done.method}: "
             f"{done.args.get('outputs') or done.args.get('error')}")
    show.out("  (the workflow goes on to its next step)")
    return done.ok and done.method == "functions.completeSuccess"


def _bot_replies(api: FakeSlackWebAPI, ts: str) -> list[dict[str, Any]]:
    return [m for m in api.thread_replies(HELPDESK_CHANNEL, ts) if m.get("user") == api.bot_user_id]


async def _approval_message_after(api: FakeSlackWebAPI, posts_before: int) -> tuple[str, str]:
    """(channel, ts) of the first approval message posted after ``posts_before`` posts."""
    posted = await api.wait_for(lambda: next(
        (c for c in api.calls_to("chat.postMessage")[posts_before:]
         if c.ok and c.args.get("channel") == APPROVAL_CHANNEL), None))
    return posted.response["channel"], posted.response["ts"]


async def _modal_after(api: FakeSlackWebAPI, updates_before: int) -> dict[str, Any]:
    update = await api.wait_for(
        lambda: next((c for c in api.calls_to("views.update")[updates_before:] if c.ok), None))
    return api.views[update.response["view"]["id"]]


async def _complete(bot: RunningBot, api: FakeSlackWebAPI, driver: SlackDriver,
                    show: DemoPrinter, view: dict[str, Any]) -> bool:
    """From the filled-in form to the order's final status."""
    show.shows("Riley", view)
    if not view.get("submit"):
        return False
    values = fill_form(view)
    show.step("Riley", "fills in the form and presses the submit button")
    posts_before = len(api.calls_to("chat.postMessage"))
    ephemerals_before = len(api.calls_to("chat.postEphemeral"))
    response = await driver.submit_view(REQUESTER, view, values)
    if response.text.strip():
        show.out(f"  The modal answered: {response.text}")
        return False
    channel, ts = await _approval_message_after(api, posts_before)
    show.shows("#approvals", api.messages[(channel, ts)])
    notice = await api.wait_for(lambda: next(
        (c for c in api.calls_to("chat.postEphemeral")[ephemerals_before:]
         if c.ok and c.args.get("user") == REQUESTER), None))
    show.shows("Riley (only visible to them)", notice.args)

    show.step("Avery (approver)", "clicks Approve")
    await driver.click_button(APPROVER, channel_id=channel, message_ts=ts,
                              action_id="approve_request")
    request = await eventually(lambda: bot.ctx.repo.get_by_message(channel, ts))
    done = await eventually(lambda: _followed_to_the_end(bot, request.id), within=60)
    show.shows("#approvals (the message, updated)", api.messages[(channel, ts)])
    for reply in api.thread_replies(channel, ts):
        show.shows("#approvals thread", reply)
    return done.state is RequestState.COMPLETED


async def _followed_to_the_end(bot: RunningBot, request_id: str) -> LineRequest | None:
    """The request once it reached a final state and every status reply went out."""
    request = await bot.ctx.repo.get(request_id)
    if request is None or request.state not in (RequestState.COMPLETED, RequestState.FAILED):
        return None
    pending = [e for _, r, e in await bot.ctx.repo.unposted_events() if r.id == request_id]
    queued = [c for c in await bot.ctx.repo.queued_calls() if c.request_id == request_id]
    return None if pending or queued else request


async def run_demo(out: Callable[[str], None] = print, *, step_seconds: float = 1.0) -> bool:
    api = FakeSlackWebAPI(bot_token=BOT_TOKEN)
    show = DemoPrinter(out, {u.id: u.real_name for u in api.users.values()})
    await api.start()
    with tempfile.TemporaryDirectory(prefix="mobproc-bot-demo-") as tmp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=api.base_url, PORT=0,
            DATABASE_URL=f"sqlite+aiosqlite:///{Path(tmp) / 'demo.db'}",
            APPROVERS=APPROVER, APPROVAL_CHANNEL=APPROVAL_CHANNEL,
            HELPDESK_CHANNELS=HELPDESK_CHANNEL,
            STATUS_POLL_SECONDS=min(0.3, step_seconds / 4), LOG_LEVEL="WARNING",
        )
        bot = await start_bot_at_the_edge()(settings, host="127.0.0.1",
                              simulator_config=SimulatorConfig(step_seconds=step_seconds))
        driver = SlackDriver(bot.events_url, SIGNING_SECRET, api)
        ok = True
        try:
            out("mobproc-bot demo: four line orders, from slash command to the final status,")
            out("then one started from a message in the help-desk channel, then a leaver's")
            out("three lines in one /offboard-lines request, then a line order asked for by")
            out("a Workflow Builder step, then one order waiting in MobProc's own approval")
            out("workflow, approved from Slack.")
            out("MobProc is the embedded simulator; Slack is a local stand-in of its Web API.")
            for scenario in SCENARIOS:
                ok = await _play(bot, api, driver, scenario, show) and ok
            # After the four, (415) 555-0142 is active again: it can be suspended.
            ok = await _play_helpdesk(bot, api, driver, show) and ok
            ok = await _play_offboarding(bot, api, driver, show) and ok
            ok = await _play_workflow_step(bot, api, driver, show) and ok
            ok = await _play_mobproc_approval(api, driver, show, bot.simulator) and ok
        finally:
            await driver.aclose()
            await bot.stop()
            await api.stop()
    out("\nDemo finished." if ok else "\nDemo finished with problems (see above).")
    return ok


