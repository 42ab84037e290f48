"""``python -m bot`` runs the bot (or the demo when no Slack tokens are set);
``python -m bot demo`` plays whole orders against the simulator and a local Slack stand-in;
``python -m bot check`` checks settings, Slack and MobProc before a deployment."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from datetime import date

from bot.ops.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings

log = logging.getLogger("bot")

CONNECT_HELP = """\
No Slack tokens are set, so this was the demo. To connect a real workspace:
  1. Create a Slack app from manifest.yml (https://api.slack.com/apps → Create New App →
     From an app manifest) and install it in your workspace.
  2. Put SLACK_BOT_TOKEN (xoxb-…) and SLACK_SIGNING_SECRET in .env, plus SLACK_APP_TOKEN
     (xapp-…, connections:write) to use Socket Mode, and APPROVERS (user or group ids).
  3. Run the same command again. MobProc stays the embedded simulator until MOBPROC_* are set.
"""


async def _serve(settings: Settings) -> None:
    from bot.runtime import start_bot_at_the_edge

    bot = await start_bot_at_the_edge()(settings)
    # What starting made (modules, SQLAlchemy's and pydantic's schemas, the app) lives as
    # long as the process. Frozen, it is out of the collector's sight: a full collection
    # under a burst walks only what the burst made, not the whole start-up heap again.
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    mode = "Socket Mode" if settings.socket_mode else f"HTTP on port {bot.port}"
    log.info("mobproc-bot is running (%s). Press Ctrl-C to stop.", mode)
    await stop.wait()
    log.info("Stopping: finishing work in progress (at most %gs)…",
             settings.SHUTDOWN_GRACE_SECONDS)
    await bot.stop()
    log.info("Stopped.")


def _check(settings: Settings) -> int:
    from bot.ops.preflight import run_checks
    from bot.slack.scopes import BOT_SCOPES

    # Only the check lines are for the reader; library chatter would bury them.
    configure_logging("ERROR", settings.secret_values())
    results = asyncio.run(run_checks(settings, required_scopes=BOT_SCOPES))
    for result in results:
        print(result.line())
    failed = sum(not r.ok for r in results)
    print(f"{len(results) - failed} ok, {failed} problem(s)" if failed else
          f"all {len(results)} checks ok")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["run", "demo", "audit", "check"],
                        default="run")
    parser.add_argument("--since", type=date.fromisoformat, default=date(1970, 1, 1),
                        help="audit: first day to export (YYYY-MM-DD)")
    parser.add_argument("--format", choices=["csv", "jsonl"], default="jsonl",
                        help="audit: output format")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        if args.command == "check":
            print(f"{'PROBLEM':<8} settings: {exc}")
            return 1
        print(f"mobproc-bot cannot start: {exc}", file=sys.stderr)
        return 2
    if args.command == "check":
        return _check(settings)
    demo = args.command == "demo" or (args.command == "run" and not settings.slack_configured)
    # The demo prints what people see; routine INFO lines would drown it.
    level = "WARNING" if demo and settings.LOG_LEVEL == "INFO" else settings.LOG_LEVEL
    configure_logging(level, settings.secret_values(), settings.LOG_FORMAT)
    if args.command == "audit":
        from bot.ops.audit_export import export_audit

        asyncio.run(export_audit(settings, args.since, args.format))
        return 0
    if demo:
        from bot.demo import run_demo

        ok = asyncio.run(run_demo())
        if args.command != "demo":
            print(CONNECT_HELP)
        return 0 if ok else 1
    asyncio.run(_serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
