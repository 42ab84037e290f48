"""Workflow Builder steps: a run (``function_executed``) is recorded once and its requester
gets a message whose button opens the same form as the slash command (or /offboard-lines);
the request filled in there is the run's, and its end completes the step (queued with the
move that ends it: ``handlers.workflow_steps.completion``)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from blocks import notices
from blocks.ids import WORKFLOW_FILL_IN_ACTION
from blocks.offboarding import messages as offboarding_blocks
from blocks.orders import modals
from blocks.workflow_steps import messages as blocks
from bot.context import BotContext
from bot.domain import OrderForm, OrderKind, RequestState
from bot.mobproc.errors import MobProcError, MobProcNotFound
from bot.offboarding.models import OffboardingState
from bot.orders.service import OrderRefused, no_line_message
from bot.storage.outbox_queue import OutboxMessage
from bot.workflow_steps.steps import (
    LINE_NUMBER,
    OFFBOARD_LINES,
    STEP_IDS,
    BadInput,
    StepRun,
    leaver_of,
    requester_of,
    text_input,
)
from handlers.slack.io import open_then_fill, tell_user
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import BlockAction, FunctionExecuted
from handlers.workflow_steps.completion import failure

log = logging.getLogger(__name__)

NOT_YOURS = ("This button belongs to a workflow step that isn't yours or has ended; nothing "
             "was started.")
ALREADY_SENT = ("This step's order was already sent for approval; the workflow goes on once "
                "MobProc has it.")
NO_EMAIL = ("Your Slack profile has no e-mail address, and MobProc needs it to place orders "
            "for you. Please add one to your profile, or ask an admin.")


def register(app: AsyncApp, ctx: BotContext) -> None:
    for step_id in STEP_IDS:
        app.function(step_id)(with_ctx(run_step, ctx))
    # A step this version doesn't offer (the manifest changed before the bot): it fails
    # plainly rather than waiting forever.
    app.event("function_executed")(with_ctx(run_step, ctx))
    app.action(WORKFLOW_FILL_IN_ACTION)(with_ctx(fill_in, ctx))


async def run_step(ctx: BotContext, event: dict[str, Any]) -> None:
    executed = FunctionExecuted.from_body(event)
    execution_id = executed.function_execution_id
    if not execution_id:
        log.warning("A function_executed event without an execution id; ignored")
        return
    run = await first_answer(ctx, execution_id, executed.function.callback_id,
                             executed.inputs)
    # Recorded once with what it calls for: a redelivered event changes nothing.
    if await ctx.steps.record(run[0], run[1]):
        await ctx.outbox.deliver()
    else:
        log.info("Workflow step run %s was delivered again; nothing to do", execution_id)


async def fill_in(ctx: BotContext, ack: AsyncAck, body: dict[str, Any],
                  client: AsyncWebClient) -> None:
    await ack()
    click = BlockAction.from_body(body)
    user_id, channel, execution_id = click.user_id, click.channel_id, click.value
    run = await ctx.steps.get(execution_id) if execution_id else None
    if run is None or run.refusal or run.requester_id != user_id:
        await tell_user(client, user_id=user_id, channel=channel,
                        message=notices.refusal(NOT_YOURS))
        return
    trigger_id = click.trigger_id or ""
    if run.is_offboarding:
        await open_then_fill(client, trigger_id=trigger_id,
                             loading=offboarding_blocks.loading_view(), user_id=user_id,
                             channel=channel,
                             build=lambda: _offboarding_view(ctx, run, user_id, channel))
        return
    kind = run.kind
    assert kind is not None
    await open_then_fill(client, trigger_id=trigger_id, loading=modals.loading_view(kind),
                         user_id=user_id, channel=channel,
                         build=lambda: _line_view(ctx, run, kind, user_id, channel))


async def first_answer(ctx: BotContext, execution_id: str, callback_id: str,
                       inputs: dict[str, Any]) -> tuple[StepRun, list[OutboxMessage]]:
    """The run as it is to be stored, and what it calls for: the requester's message, or
    (a bad input) the step's failure with the reason."""
    requester: str | None = None
    try:
        requester = requester_of(inputs)
        if callback_id == OFFBOARD_LINES:
            person, email = leaver_of(inputs)
            message = blocks.offboarding_step_request(person, email, execution_id)
        else:
            run = StepRun(execution_id, callback_id, inputs)
            if run.kind is None:
                raise BadInput(f"This version of the bot has no step “{callback_id[:60]}”.")
            message = blocks.line_step_request(run.kind, await _known_line(ctx, inputs),
                                               execution_id)
    except BadInput as bad:
        return (StepRun(execution_id, callback_id, inputs, requester, refusal=bad.message),
                [failure(execution_id, bad.message)])
    return (StepRun(execution_id, callback_id, inputs, requester),
            [OutboxMessage("chat.postMessage", {"channel": requester, **message})])


async def _known_line(ctx: BotContext, inputs: dict[str, Any]) -> str:
    """The line number as shown, once read and found in MobProc; BadInput if it can't be.
    MobProc not answering is no reason to fail: the form says so when it is opened."""
    try:
        number = ctx.orders.parse_number(text_input(inputs, LINE_NUMBER))
    except OrderRefused as refusal:
        raise BadInput(refusal.message) from None
    try:
        if await ctx.orders.mobproc.find_service(number) is None:
            raise BadInput(no_line_message(number))
    except MobProcNotFound:
        raise BadInput(no_line_message(number)) from None
    except MobProcError as exc:
        log.info("Could not look the step's line up in MobProc now: %s", exc.message)
    return number.display


async def _line_view(ctx: BotContext, run: StepRun, kind: OrderKind, user_id: str,
                     channel: str | None) -> dict[str, Any]:
    try:
        form = await _line_form(ctx, run, kind, user_id, channel)
    except OrderRefused as refusal:
        return modals.error_view(kind, refusal.message)
    if form is None:
        return modals.error_view(kind, ALREADY_SENT)
    return modals.order_form_view(form, region=ctx.settings.DEFAULT_REGION)


async def _line_form(ctx: BotContext, run: StepRun, kind: OrderKind, user_id: str,
                     channel: str | None) -> OrderForm | None:
    """The run's order form: a new one the first time (the slash command's), the same one
    on a later click while it is not sent; None once it is."""
    if run.request_id is None:
        requester = await ctx.profiles(user_id)
        if not requester.email:
            raise OrderRefused(NO_EMAIL)
        number = ctx.orders.parse_number(text_input(run.inputs, LINE_NUMBER))
        form = await ctx.orders.open_form(kind, number, requester, channel)
        if await ctx.steps.link_request(run.id, form.request_id):
            return form
        # Another click's form became the run's first: that one is shown.
        again = await ctx.steps.get(run.id)
        if again is None or again.request_id is None:
            return None
        run = again
    assert run.request_id is not None
    request = await ctx.repo.get(run.request_id)
    if request is None or request.state is not RequestState.DRAFT:
        return None
    return await ctx.orders.form(request.id)


async def _offboarding_view(ctx: BotContext, run: StepRun, user_id: str,
                            channel: str | None) -> dict[str, Any]:
    region = ctx.settings.DEFAULT_REGION
    if run.offboarding_id is None:
        requester = await ctx.profiles(user_id)
        if not requester.email:
            return offboarding_blocks.error_view(NO_EMAIL)
        person, email = leaver_of(run.inputs)
        if person is not None:
            profile = await ctx.profiles(person)
            if not profile.email:
                return offboarding_blocks.error_view(
                    f"<@{person}>'s Slack profile has no e-mail address to look them up in "
                    "MobProc by; give the step their e-mail address instead.")
            email = profile.email
        assert email is not None
        try:
            offboarding = await ctx.offboarding.start(requester, email, channel)
        except OrderRefused as refusal:
            return offboarding_blocks.error_view(refusal.message)
        if not offboarding.lines:
            return offboarding_blocks.no_lines_view(email)
        if await ctx.steps.link_offboarding(run.id, offboarding.id):
            return offboarding_blocks.choose_view(offboarding, 0, region=region)
        again = await ctx.steps.get(run.id)  # another click's request came first
        if again is None or again.offboarding_id is None:
            return offboarding_blocks.error_view(ALREADY_SENT)
        run = again
    assert run.offboarding_id is not None
    stored = await ctx.offboarding.get(run.offboarding_id)
    if stored is None or stored.state is not OffboardingState.CHOOSING:
        return offboarding_blocks.error_view(ALREADY_SENT)
    return offboarding_blocks.choose_view(stored, 0, region=region)
