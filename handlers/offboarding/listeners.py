"""/offboard-lines: the command, its two modals, and the follower's round. Approve and
Cancel on its message (and in the App Home) are ``handlers.approval.buttons``'s, as for a
single request.

Each listener reads its payload into a typed model (``handlers.slack.payloads``) first;
the core decides; ``blocks`` renders; news after a decision goes through the outbox
(``handlers.approval.news``, ``handlers.offboarding.news``)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from blocks.ids import (
    OFFBOARD_CHOOSE_CALLBACK,
    OFFBOARD_DETAILS_CALLBACK,
)
from blocks.offboarding import messages as blocks
from bot.context import BotContext
from bot.offboarding.service import parse_employee
from bot.orders.service import OrderRefused
from bot.slack.endpoint import answered
from handlers.approval import news
from handlers.home.tab import refresh_approvers_homes
from handlers.offboarding.news import settle
from handlers.orders.view_state import block_errors, form_input
from handlers.slack.io import open_then_fill, update_view
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import SlashCommand, ViewSubmission

OFFBOARD_COMMAND = "/offboard-lines"


def register(app: AsyncApp, ctx: BotContext) -> None:
    app.command(OFFBOARD_COMMAND)(with_ctx(offboard_lines, ctx))
    app.view(OFFBOARD_CHOOSE_CALLBACK)(with_ctx(choose_lines, ctx))
    app.view(OFFBOARD_DETAILS_CALLBACK)(with_ctx(send_for_approval, ctx))


async def offboard_lines(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                         client: AsyncWebClient, context: AsyncBoltContext) -> None:
    command = SlashCommand.from_body(body)
    if not command.text.strip():
        await ack(**blocks.usage())
        return
    try:
        who = parse_employee(command.text)
    except OrderRefused as refusal:
        await ack(**notices.refusal(refusal.message))
        return
    await ack()
    await answered(context)  # under a burst, everyone's ack before anyone's form
    await open_then_fill(client, trigger_id=command.trigger_id, loading=blocks.loading_view(),
                         user_id=command.user_id, channel=command.channel_id,
                         build=lambda: _first_view(ctx, command, who.slack_user,
                                                   who.employee_id))


async def choose_lines(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                       client: AsyncWebClient) -> None:
    submission = ViewSubmission.from_body(body)
    offboarding_id, _, page_text = submission.view.private_metadata.partition(":")
    page = int(page_text) if page_text.isdigit() else 0
    user_id = submission.user_id
    choices = submission.view.selections()
    region = ctx.settings.DEFAULT_REGION
    try:
        offboarding = await ctx.offboarding.choose(offboarding_id, user_id, choices)
    except OrderRefused as refusal:
        await ack(response_action="update", view=blocks.error_view(refusal.message))
        return
    if page + 1 < blocks.page_count(offboarding):
        await ack(response_action="update",
                  view=blocks.choose_view(offboarding, page + 1, region=region))
        return
    if not offboarding.chosen():
        await ack(response_action="update", view=blocks.choose_view(
            offboarding, page, region=region,
            error="Choose an order for at least one line, or close this form."))
        return
    count = len(offboarding.chosen())
    await ack(response_action="update", view=blocks.loading_view(
        f"Asking MobProc what it needs for {count} order{'s' if count != 1 else ''}…"))
    try:
        bundle = await ctx.offboarding.prepare(offboarding_id, user_id, region)
    except OrderRefused as refusal:
        view = blocks.error_view(refusal.message)
    else:
        if bundle is None:
            return  # a repeated submission: the first one fills the form in
        view = blocks.details_view(bundle, offboarding, region=region)
    await _update(client, submission.view.id, view, user_id, offboarding.origin_channel)


async def send_for_approval(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                            client: AsyncWebClient) -> None:
    submission = ViewSubmission.from_body(body)
    offboarding_id = submission.view.private_metadata
    user_id = submission.user_id
    entered = form_input(submission.values)
    region = ctx.settings.DEFAULT_REGION
    stop = await ctx.offboarding.check(offboarding_id, entered, user_id, region)
    if stop is not None and stop.errors:
        await ack(response_action="errors", errors=block_errors(stop.errors))
        return
    if stop is not None:
        await ack(response_action="update", view=blocks.error_view(stop.refusal or ""))
        return
    await ack(response_action="update", view=blocks.loading_view(
        "Checking each order with MobProc (nothing is ordered yet)…"))
    outcome = await ctx.offboarding.confirm(offboarding_id, entered, user_id, region)
    offboarding = await ctx.offboarding.get(offboarding_id)
    if outcome.refusals and offboarding is not None:
        bundle = await ctx.offboarding.bundle_form(offboarding_id, region)
        view = blocks.details_view(bundle, offboarding, entered=entered,
                                   refusals=outcome.refusals, region=region) \
            if bundle else blocks.error_view("This form has expired.")
    elif outcome.view is not None:
        view = blocks.sent_view(outcome.view)
    else:
        view = blocks.error_view(outcome.refusal or "Something went wrong; please try "
                                                     "again.")
    await _update(client, submission.view.id, view, user_id,
                  offboarding.origin_channel if offboarding else None)
    if outcome.confirmed_now:
        await ctx.offboarding.posts.deliver()  # queued with the move to pending


async def _first_view(ctx: BotContext, command: SlashCommand,
                      slack_user: str | None, employee_id: str | None) -> dict[str, Any]:
    """The lines to choose from, or why there are none."""
    requester = await ctx.profiles(command.user_id)
    if not requester.email:
        return blocks.error_view("Your Slack profile has no e-mail address, and MobProc needs "
                                 "it to place orders. Please add one, or ask an admin.")
    if slack_user is not None:
        person = await ctx.profiles(slack_user)
        if not person.email:
            return blocks.error_view(f"<@{slack_user}>'s Slack profile has no e-mail address "
                                     "to look them up in MobProc by. Use their company "
                                     "employee id instead.")
        employee_id = person.email
    assert employee_id is not None
    try:
        offboarding = await ctx.offboarding.start(requester, employee_id, command.channel_id)
    except OrderRefused as refusal:
        return blocks.error_view(refusal.message)
    if not offboarding.lines:
        return blocks.no_lines_view(employee_id)
    return blocks.choose_view(offboarding, 0, region=ctx.settings.DEFAULT_REGION)


async def _update(client: AsyncWebClient, view_id: str, view: dict[str, Any], user_id: str,
                  channel: str | None) -> None:
    await update_view(client, view_id=view_id, view=view, user_id=user_id, channel=channel)


async def follower_round(ctx: BotContext, client: AsyncWebClient) -> None:
    """Run by the status follower each round: approval messages an older version left
    unposted, expiries, reminders, then the news and summaries of approved requests."""
    await ctx.offboarding.posts.repair()
    for view in await ctx.offboarding.expire(
            lambda view: news.expiry_messages(news.of_leaver(ctx, view))):
        # It leaves every approver's waiting list and changes in its requester's list.
        await refresh_approvers_homes(ctx, view.offboarding.requester_id)
    await ctx.offboarding.due_reminders(
        lambda view: news.reminder_messages(news.of_leaver(ctx, view)))
    await settle(ctx)
