"""``python -m bot.simulator``: run the MobProc simulator alone."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from bot.simulator.server import SimulatorConfig, start_simulator


async def _run(port: int, step: float, latency: float, bench_people: int) -> None:
    sim = await start_simulator(SimulatorConfig(step_seconds=step, latency_seconds=latency,
                                                bench_people=bench_people), port=port)
    c = sim.config
    print(f"MobProc simulator running. Press Ctrl-C to stop.\n"
          f"  MOBPROC_BASE_URL={sim.base_url}\n  MOBPROC_TOKEN_URL={sim.token_url}\n"
          f"  MOBPROC_CLIENT_ID={c.client_id}\n  MOBPROC_CLIENT_SECRET={c.client_secret}\n"
          f"  MOBPROC_USERNAME={c.username}\n  MOBPROC_PASSWORD={c.password}\n"
          f"  MOBPROC_TENANT={c.tenant}\n(These are the simulator's fake demo credentials.)")
    try:
        await asyncio.Event().wait()
    finally:
        await sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.simulator")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--step-seconds", type=float, default=15.0)
    parser.add_argument("--latency-seconds", type=float, default=0.0,
                        help="answer every call this late, like a busy MobProc")
    parser.add_argument("--bench-people", type=int, default=0,
                        help="seed this many more employees, each with an active line "
                             "(628) 555-1000 onwards")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(args.port, args.step_seconds, args.latency_seconds,
                         args.bench_people))


if __name__ == "__main__":
    main()
