"""The floor: a bare Bolt app that only acks the bot's slash commands, served the same way
(aiohttp, ``/slack/events``, signature checks). ``python -m bench.floor`` with the same
SLACK_* and PORT environment the bot reads."""

from __future__ import annotations

import asyncio
import os

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

COMMANDS = ["/suspend-line", "/unsuspend-line", "/deactivate-line", "/transfer-line"]


async def _ack_only(ack: AsyncAck) -> None:
    await ack()


async def _serve() -> None:
    client = AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"],
                            base_url=os.environ["SLACK_API_URL"])
    app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])
    for command in COMMANDS:
        app.command(command)(_ack_only)
    web_app = app.web_app(path="/slack/events", port=int(os.environ["PORT"]))

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    web_app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(os.environ["PORT"])).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(_serve())
