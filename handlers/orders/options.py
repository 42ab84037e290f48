"""Options for external selects: order properties with more choices than Slack lists."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks.ids import OFFBOARD_DETAILS_CALLBACK, VALUE_ACTION
from blocks.orders import modals
from bot.context import BotContext
from handlers.slack.listeners import with_ctx
from handlers.slack.payloads import BlockSuggestion


def register(app: AsyncApp, ctx: BotContext) -> None:
    app.options(VALUE_ACTION)(with_ctx(property_choices, ctx))


async def property_choices(ctx: BotContext, ack: AsyncAck, body: dict[str, Any]) -> None:
    suggestion = BlockSuggestion.from_body(body)
    view = suggestion.view
    form = await ctx.orders.form(view.private_metadata)
    block_id = suggestion.block_id
    definition = None
    if form is not None:
        definition = next((f for g in form.property_groups for f in g.fields
                           if f.id == block_id), None)
    elif view.callback_id == OFFBOARD_DETAILS_CALLBACK:
        bundle = await ctx.offboarding.bundle_form(view.private_metadata,
                                                   ctx.settings.DEFAULT_REGION)
        definition = next((f.definition for f in bundle.fields if f.key == block_id),
                          None) if bundle else None
    if definition is None:
        await ack(options=[])
        return
    await ack(options=modals.choice_options(definition, suggestion.value))
