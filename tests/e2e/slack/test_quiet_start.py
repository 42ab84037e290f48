"""A correct configuration starts without a single warning: operators alert on warnings."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from bot.settings import load_settings
from bot.simulator.server import RunningSimulator
from bot.slack_standin.fake_web_api import FakeSlackWebAPI
from bot.slack_standin.polling import eventually
from handlers.app import start_bot
from tests.conftest import Clock, bot_settings
from tests.support.processes import as_environment


@pytest.mark.parametrize("mode", ["http", "socket"])
async def test_a_correct_configuration_starts_without_a_warning(
        mode: str, simulator: RunningSimulator, slack: FakeSlackWebAPI, database_url: str,
        clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    extra = {"SLACK_APP_TOKEN": slack.app_token} if mode == "socket" else {}
    # As in production: every setting comes from the environment, where Bolt looks too.
    settings = bot_settings(simulator, slack, database_url, **extra)
    given = as_environment(settings)
    for name in type(settings).model_fields:
        if name in given:
            monkeypatch.setenv(name, given[name])
        else:
            monkeypatch.delenv(name, raising=False)
    if mode == "socket":
        monkeypatch.delenv("SLACK_SIGNING_SECRET")
    monkeypatch.chdir(tmp_path)  # no stray .env
    settings = load_settings()
    assert settings.socket_mode is (mode == "socket")
    caplog.set_level(logging.INFO)
    bot = await start_bot(settings, host="127.0.0.1", clock=clock)
    try:
        if mode == "socket":
            await eventually(lambda: slack.socket_connected)
        async with httpx.AsyncClient() as http:
            assert (await http.get(f"{bot.url}/healthz")).status_code == 200
            assert (await http.get(f"{bot.url}/metrics")).status_code == 200
        # A follower round ran, quietly too.
        await eventually(lambda: bot.metrics.registry.get_sample_value(
            "mobproc_bot_follower_rounds_total", {"outcome": "ok"}))
    finally:
        await bot.stop()
    assert any(r.levelno == logging.INFO for r in caplog.records), "logging was captured"
    warnings = [f"{r.name}: {r.getMessage()}" for r in caplog.records
                if r.levelno >= logging.WARNING]
    assert warnings == []
