"""Answering a message that names a line: in help-desk channels, on a mention, by shortcut.

The reply is rendered here and queued by the core with the ticket it answers (one reply per
ticket), then sent by the outbox: Slack failing at that moment only delays it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Enum

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from blocks.helpdesk import replies as helpdesk
from bot.context import BotContext
from bot.domain import HelpdeskTicket
from bot.effects.outbox import PERMANENT
from bot.helpdesk.service import Reply, Thread, Understanding
from bot.storage.outbox_queue import OutboxMessage
from handlers.slack.io import slack_error

log = logging.getLogger(__name__)


class Answer(Enum):
    NO_LINE = "no line"  # the message names no line: nothing is queued
    QUEUED = "queued"  # its reply is queued (and sent as soon as Slack takes it)
    ALREADY = "already"  # the message was answered (or its answer queued) before


def reply_call(ctx: BotContext, channel: str, thread_ts: str) -> Reply:
    """The threaded reply saying what the bot understood, rendered for the outbox."""

    def render(found: Understanding) -> OutboxMessage:
        return OutboxMessage("chat.postMessage", {
            "channel": channel, "thread_ts": thread_ts,
            **helpdesk.understood_message(found, region=ctx.settings.DEFAULT_REGION)})

    return render


async def answer_message(ctx: BotContext, *, channel: str, message_ts: str, thread_ts: str,
                         poster_id: str, text: str, again: bool = False) -> Answer:
    """Queue a reply in the message's thread with what the bot understood, once per message.
    ``again`` (someone asked for it explicitly): a reply Slack refused for good before is
    queued once more."""
    render = reply_call(ctx, channel, thread_ts)
    found = await ctx.helpdesk.understand(channel=channel, message_ts=message_ts,
                                          poster_id=poster_id, text=text, reply=render)
    if found is None:
        return Answer.NO_LINE
    if not found.first_time and not (again and
                                     await ctx.helpdesk.queue_reply_again(found, render)):
        return Answer.ALREADY
    try:
        await ctx.outbox.deliver()
    except Exception:  # queued: the next round (follower, or any new call) sends it
        log.warning("Sending the help-desk reply in %s failed; it stays queued", channel,
                    exc_info=True)
    return Answer.QUEUED


def ticket_repair(ctx: BotContext, client: AsyncWebClient
                  ) -> Callable[[], Awaitable[list[HelpdeskTicket]]]:
    """The repair of tickets an older version left unanswered (``HelpdeskService.repair``),
    with the Slack side's parts: reading the thread, rendering the reply."""
    bot_user: list[str] = []  # the bot's own user id, asked once it is needed

    async def look(ticket: HelpdeskTicket) -> Thread | None:
        if not bot_user:
            try:
                bot_user.append(str((await client.auth_test()).get("user_id")))
            except SlackApiError as exc:
                log.info("auth.test failed (%s); tickets are looked at later",
                         slack_error(exc))
                return None
        return await look_at_thread(client, ticket, bot_user[0])

    def reply(found: Understanding, thread_ts: str) -> OutboxMessage:
        return reply_call(ctx, found.ticket.channel, thread_ts)(found)

    async def repair() -> list[HelpdeskTicket]:
        repaired = await ctx.helpdesk.repair(
            look, reply, lease_seconds=ctx.outbox.lease_seconds)
        if repaired:
            await ctx.outbox.deliver()
        return repaired

    return repair


async def look_at_thread(client: AsyncWebClient, ticket: HelpdeskTicket, bot_user_id: str
                         ) -> Thread | None:
    """The ticket's thread as Slack shows it: where a reply goes, and whether the bot
    answered the ticket's message there; None if Slack won't say now."""
    try:
        answer = await client.conversations_replies(channel=ticket.channel,
                                                    ts=ticket.message_ts, limit=200)
    except SlackApiError as exc:
        log.info("Could not read the thread of help-desk message %s in %s (%s)",
                 ticket.message_ts, ticket.channel, slack_error(exc))
        if slack_error(exc) in PERMANENT:  # a reply could not go there either: leave it
            return Thread(ts=ticket.message_ts, answered=True)
        return None
    messages = answer.get("messages") or []
    parent = messages[0] if messages else {}
    thread_ts = str(parent.get("thread_ts") or parent.get("ts") or ticket.message_ts)
    answered = any(m.get("user") == bot_user_id and
                   float(m.get("ts") or 0) > float(ticket.message_ts) for m in messages)
    return Thread(ts=thread_ts, answered=answered)
