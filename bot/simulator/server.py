"""Starting the simulator on loopback, for the bot, the demo and the tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web

from bot.simulator.app import API_PREFIX, TOKEN_PATH, create_app
from bot.simulator.state import SimulatorState


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class SimulatorConfig:
    # Fake demo credentials: the simulator is not a secret store.
    client_id: str = "mobproc-bot-demo"
    client_secret: str = "simulator-client-secret"
    username: str = "command://demo.bot"
    password: str = "simulator-password"
    tenant: str = "DEMO"
    scope: str = "MOBPROC"
    token_lifetime_seconds: int = 3600
    step_seconds: float = 15.0
    # Order types that wait in AWAITING_APPROVAL for MobProc's own approvers (seed).
    approval_types: frozenset[str] = frozenset()
    clock: Callable[[], datetime] = field(default=_utcnow)
    # Every answer this late, as a busy MobProc would be (benchmarks, trying timeouts).
    latency_seconds: float = 0.0
    # Extra employees with one active line each, for benchmarks with many people at once.
    bench_people: int = 0


@dataclass
class RunningSimulator:
    config: SimulatorConfig
    state: SimulatorState
    base_url: str
    token_url: str
    _runner: web.AppRunner

    async def stop(self) -> None:
        await self._runner.cleanup()


async def start_simulator(config: SimulatorConfig | None = None, host: str = "127.0.0.1",
                          port: int = 0) -> RunningSimulator:
    config = config or SimulatorConfig()
    state = SimulatorState.seeded(config.clock, config.step_seconds,
                                  config.token_lifetime_seconds,
                                  bench_people=config.bench_people,
                                  approval_types=config.approval_types)
    runner = web.AppRunner(create_app(state, config), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1]
    root = f"http://{host}:{bound}"
    return RunningSimulator(config=config, state=state, base_url=root + API_PREFIX,
                            token_url=root + TOKEN_PATH, _runner=runner)
