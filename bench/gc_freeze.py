"""What a full garbage collection costs in a started bot, with its start-up heap frozen
(as ``python -m bot`` does once it is up) or not; prints one table.

    .venv/bin/python -m bench.gc_freeze

The bot runs in a process of its own, started as ``python -m bot`` starts it (settings from
the environment, ``start_bot``), with the MobProc simulator and the local Slack stand-in
in this process, as in ``bench.burst``. Once it is up it times ``gc.collect()`` (a full
collection, which walks every tracked object not frozen) several times, freezes the heap
as ``bot/__main__.py`` does, and times it again. Under a burst each full collection pays
the unfrozen figure on top of what the burst itself made.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time


def _timed_collections(times: int) -> list[float]:
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        gc.collect()
        spent.append(time.perf_counter() - start)
    return spent


async def _in_the_bot(times: int) -> dict[str, float]:
    from bot.settings import load_settings
    from handlers.app import start_bot

    bot = await start_bot(load_settings(), host="127.0.0.1")
    try:
        tracked = len(gc.get_objects())
        unfrozen = _timed_collections(times)
        gc.collect()
        gc.freeze()  # as bot/__main__.py's _serve does
        frozen = _timed_collections(times)
        return {"tracked": tracked, "frozen_objects": gc.get_freeze_count(),
                "unfrozen_ms": statistics.median(unfrozen) * 1e3,
                "frozen_ms": statistics.median(frozen) * 1e3}
    finally:
        await bot.stop()


async def run(times: int) -> None:
    # Imported here, not in the bot's process: its heap holds only what the bot's does.
    from bench.burst import BOT_TOKEN, bot_env, free_port
    from bot.simulator.server import SimulatorConfig, start_simulator
    from bot.slack_standin.fake_web_api import FakeSlackWebAPI

    api = FakeSlackWebAPI(bot_token=BOT_TOKEN)
    await api.start()
    simulator = await start_simulator(SimulatorConfig())
    try:
        with tempfile.TemporaryDirectory(prefix="mobproc-gc-bench-") as tmp:
            env = bot_env(api, simulator, tmp, free_port())
            child = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.gc_freeze", "--in-the-bot", "--times",
                str(times), env=env, cwd=tmp, stdout=subprocess.PIPE)
            out, _ = await child.communicate()
            if child.returncode:
                raise SystemExit(f"the bot's process failed ({child.returncode})")
    finally:
        await simulator.stop()
        await api.stop()
    figures = json.loads(out.decode().strip().splitlines()[-1])
    print("| start-up heap | objects tracked | full collection (median of "
          f"{times}) |")
    print("|---|---|---|")
    print(f"| not frozen | {figures['tracked']:,} | {figures['unfrozen_ms']:.2f} ms |")
    print(f"| frozen ({figures['frozen_objects']:,} objects) | — | "
          f"{figures['frozen_ms']:.2f} ms |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gc_freeze", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--times", type=int, default=7, help="collections timed per row")
    parser.add_argument("--in-the-bot", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_the_bot:
        print(json.dumps(asyncio.run(_in_the_bot(args.times))))
    else:
        asyncio.run(run(args.times))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
