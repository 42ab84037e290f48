"""The bot as a separate OS process, for tests that need a real second process or a real
kill (SIGKILL leaves no chance to clean up, unlike stopping the in-process bot)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.settings import Settings
from bot.slack_standin.polling import eventually


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    port: int

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def kill(self) -> None:
        """SIGKILL: the process dies wherever it is, mid-call included."""
        if self.process.returncode is None:
            self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
        await self.process.wait()

    def sigterm(self) -> None:
        """What a container orchestrator sends: the bot may finish what it is doing."""
        self.process.send_signal(signal.SIGTERM)

    async def exit_code(self, within: float = 30.0) -> int:
        return await asyncio.wait_for(self.process.wait(), within)

    async def accepts_connections(self) -> bool:
        try:
            async with httpx.AsyncClient() as http:
                await http.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2.0)
        except httpx.TransportError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_environment(settings: Settings) -> dict[str, str]:
    """``settings`` as the environment variables that give them (unset ones left out)."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None or value == [] or value == {}:
            continue
        if isinstance(value, list):
            env[name] = ",".join(value)
        elif isinstance(value, dict):  # APPROVALS_REQUIRED: TYPE=NUMBER,…
            env[name] = ",".join(f"{k}={v}" for k, v in value.items())
        else:
            env[name] = str(value.get_secret_value() if hasattr(value, "get_secret_value")
                            else value)
    return env


def bare_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """This process's environment with none of the bot's settings (as on a fresh machine)
    but a SQLite database in ``tmp_path``, and then ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "MOBPROC_", "APPROVERS", "DATABASE_URL", "PORT",
                                "LOG_"))}
    env.update({"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", **extra})
    return env


async def until_serving(process: asyncio.subprocess.Process, url: str,
                        within: float = 30.0) -> None:
    """Wait until GET ``url`` answers 200; the process must not exit meanwhile."""
    async with httpx.AsyncClient() as http:
        async def serving() -> bool:
            assert process.returncode is None, "the bot exited"
            try:
                return (await http.get(url)).status_code == 200
            except httpx.HTTPError:
                return False

        await eventually(serving, within=within)


@dataclass
class BareBot:
    """``python -m bot`` started by ``bare_bot``: its port and, once stopped, its output."""
    process: asyncio.subprocess.Process
    port: int
    output: str = ""


@asynccontextmanager
async def bare_bot(tmp_path: Path, path: str, **env: str) -> AsyncIterator[BareBot]:
    """``python -m bot`` in ``tmp_path`` with ``bare_env(tmp_path, **env)`` on a free port,
    once GET ``path`` answers 200; on leaving, it is terminated and what it printed is in
    ``output``."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=bare_env(tmp_path, **env, PORT=str(port)),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    running = BareBot(process, port)
    try:
        await until_serving(process, f"http://127.0.0.1:{port}{path}")
        yield running
    finally:
        process.terminate()
        output, _ = await asyncio.wait_for(process.communicate(), 20)
        running.output = output.decode()


def _environment(settings: Settings, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MOBPROC_"))}
    env.update(as_environment(settings))
    env["PORT"] = str(port)
    return env


async def run_bot_command(settings: Settings, args: list[str], cwd: Path,
                          **env: str) -> tuple[int, str]:
    """``python -m bot <args>`` to its end; its exit code and what it printed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env={**_environment(settings, 0), **env}, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def start_bot_process(settings: Settings, cwd: Path) -> BotProcess:
    """``python -m bot`` with ``settings`` as its environment; returns once it is healthy."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env=_environment(settings, port), cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    running = BotProcess(process, port)

    async def healthy() -> bool:
        assert process.returncode is None, "the bot process exited during start-up"
        try:
            async with httpx.AsyncClient() as http:
                return (await http.get(f"http://127.0.0.1:{port}/healthz")).is_success
        except httpx.HTTPError:
            return False

    try:
        await eventually(healthy, within=30)
    except BaseException:
        await running.kill()
        raise
    return running
