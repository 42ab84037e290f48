"""The Dockerfile and compose.yaml agree with the bot: its run command, its settings' names,
its health check (run here against a live bot: no container runtime is needed)."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import subprocess
import sys
import tomllib
from typing import Any

import pytest
import yaml

from bot.runtime import RunningBot
from bot.settings import Settings
from tests.conftest import ROOT
from tests.support.processes import free_port

SETTINGS = set(Settings.model_fields)


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def one(keyword: str) -> str:
    values = [rest for k, rest in instructions() if k == keyword]
    assert len(values) == 1, f"one {keyword} expected, found {values}"
    return values[0]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_the_image_runs_the_bot_as_an_unprivileged_user() -> None:
    assert json.loads(one("CMD")) == ["python", "-m", "bot"]
    assert re.fullmatch(r"python:3\.1[1-9]-slim", one("FROM"))
    assert one("USER") not in ("root", "0")
    assert one("STOPSIGNAL") == "SIGTERM"


def test_the_image_holds_the_packages_it_installs() -> None:
    copied = {src for k, rest in instructions() if k == "COPY" for src in rest.split()[:-1]}
    for source in copied:
        assert (ROOT / source).exists(), source
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["packages"]["find"]["include"]
    assert {p.rstrip("*") for p in packages} <= copied


def test_the_image_environment_names_settings() -> None:
    names = {pair.split("=")[0] for k, rest in instructions() if k == "ENV"
             for pair in rest.split()}
    assert names - SETTINGS <= {"PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED",
                                "PIP_NO_CACHE_DIR", "PIP_DISABLE_PIP_VERSION_CHECK"}
    assert "PORT" in names


def healthcheck_code() -> str:
    command = one("HEALTHCHECK")
    words = shlex.split(command[command.index("CMD ") + 4:])
    assert words[:2] == ["python", "-c"] and len(words) == 3, "no curl in a slim image"
    return words[2]


async def test_the_health_check_passes_on_a_running_bot_and_fails_without_one(
        bot: RunningBot) -> None:
    def health(port: int) -> int:
        # Run as Docker would, in the image's Python, with the container's PORT.
        return subprocess.run([sys.executable, "-c", healthcheck_code()], env={
            "PORT": str(port)}, capture_output=True, timeout=30).returncode

    assert await asyncio.to_thread(health, bot.port) == 0
    assert await asyncio.to_thread(health, free_port()) != 0


def test_compose_runs_two_replicas_on_postgresql(compose: dict[str, Any]) -> None:
    services = compose["services"]
    bot, db = services["bot"], services["db"]
    assert bot["build"] == "." and bot["deploy"]["replicas"] == 2
    assert db["image"].startswith("postgres:")
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    env = bot["environment"]
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://")
    # The database the URL names is the one the db service creates, as its user.
    user, db_name = db["environment"]["POSTGRES_USER"], db["environment"]["POSTGRES_DB"]
    assert env["DATABASE_URL"].startswith(f"postgresql+asyncpg://{user}:")
    assert env["DATABASE_URL"].endswith(f"@db:5432/{db_name}")


def test_compose_environment_names_settings(compose: dict[str, Any]) -> None:
    env = compose["services"]["bot"]["environment"]
    assert set(env) <= SETTINGS, set(env) - SETTINGS
    assert compose["services"]["bot"]["env_file"] == ".env"  # the rest, as the bot reads them


def test_compose_gives_a_stop_more_time_than_the_bot_takes(compose: dict[str, Any]) -> None:
    bot = compose["services"]["bot"]
    grace = float(bot["environment"]["SHUTDOWN_GRACE_SECONDS"])
    assert grace == Settings.model_fields["SHUTDOWN_GRACE_SECONDS"].default
    match = re.fullmatch(r"(\d+)s", bot["stop_grace_period"])
    assert match and int(match.group(1)) > grace
