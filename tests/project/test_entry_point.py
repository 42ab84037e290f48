"""The README's run command: the demo without Slack tokens, the bot with them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
from pydantic import SecretStr

from bot.demo import run_demo
from bot.mobproc.client import MobProcClient, MobProcConfig
from tests.support.processes import bare_bot, bare_env, free_port


async def test_the_demo_plays_all_four_orders() -> None:
    lines: list[str] = []
    assert await run_demo(lines.append, step_seconds=0.2)
    text = "\n".join(lines)
    for command in ("/suspend-line", "/unsuspend-line", "/deactivate-line", "/transfer-line"):
        assert command in text
    # Four commands, a help-desk request and a leaver's lines.
    assert text.count("[Approve] [Cancel]") == 6
    assert "/offboard-lines" in text and "All done" in text
    assert text.count("is now *Complete*") == 4 + 2  # the help-desk one also in its thread
    assert "[Start suspend order]" in text
    assert "Olive (direct message from the bot) sees:" in text
    assert "https://app.slack.com/block-kit-builder/#" in text
    assert text.rstrip().endswith("Demo finished.")


def test_the_readme_run_command_without_tokens_plays_the_demo(tmp_path: Path) -> None:
    env = bare_env(tmp_path)
    del env["DATABASE_URL"]  # as on a fresh machine: nothing set at all
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Demo finished." in done.stdout
    assert done.stdout.rstrip().endswith(
        "MobProc stays the embedded simulator until MOBPROC_* are set.")
    assert "Create a Slack app from manifest.yml" in done.stdout
    assert list(tmp_path.iterdir()) == [], "the demo leaves nothing behind"


async def test_with_slack_tokens_it_serves_http_and_health(tmp_path: Path) -> None:
    async with bare_bot(tmp_path, "/healthz", SLACK_BOT_TOKEN="xoxb-entry-point-test",
                        SLACK_SIGNING_SECRET="entry-point-secret",
                        SLACK_API_URL="http://127.0.0.1:9/api/") as served, \
            httpx.AsyncClient() as http:
        unsigned = await http.post(f"http://127.0.0.1:{served.port}/slack/events",
                                   content=b"command=%2Fsuspend-line")
        assert unsigned.status_code == 401
    text = served.output
    assert "xoxb-entry-point-test" not in text and "entry-point-secret" not in text
    assert "embedded MobProc simulator" in text


def test_a_bad_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = bare_env(tmp_path, SLACK_BOT_TOKEN="xoxb-1")
    done = subprocess.run([sys.executable, "-m", "bot"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_SIGNING_SECRET" in lines[0]


async def test_the_simulator_runs_on_its_own_with_the_settings_it_prints(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.simulator", "--port", str(port), cwd=tmp_path,
        env=bare_env(tmp_path), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    assert process.stdout is not None
    printed: dict[str, str] = {}
    try:
        while "MOBPROC_TENANT" not in printed:
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            assert line, "the simulator exited before printing its settings"
            name, _, value = line.strip().partition("=")
            if name.startswith("MOBPROC_"):
                printed[name] = value
        assert printed["MOBPROC_BASE_URL"].startswith(f"http://127.0.0.1:{port}/")
        # The printed values are exactly what the bot needs to use it as MobProc.
        client = MobProcClient(MobProcConfig(
            base_url=printed["MOBPROC_BASE_URL"], token_url=printed["MOBPROC_TOKEN_URL"],
            client_id=printed["MOBPROC_CLIENT_ID"],
            client_secret=SecretStr(printed["MOBPROC_CLIENT_SECRET"]),
            username=printed["MOBPROC_USERNAME"],
            password=SecretStr(printed["MOBPROC_PASSWORD"]), tenant=printed["MOBPROC_TENANT"],
            scope="MOBPROC", timeout_seconds=5.0))
        try:
            line = await client.find_service("4155550199")
        finally:
            await client.aclose()
        assert line is not None and line.serviceNumber == "4155550199"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 20)
