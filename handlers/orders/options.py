"""Options for external selects: order properties with more choices than Slack lists."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from blocks.ids import OFFBOARD_DETAILS_CALLBACK, VALUE_ACTION
from blocks.orders import modals
from bot.context import BotContext


def register(app: AsyncApp, ctx: BotContext) -> None:
    @app.options(VALUE_ACTION)
    async def property_choices(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body.get("view") or {}
        form = await ctx.orders.form(view.get("private_metadata") or "")
        block_id = body.get("block_id")
        definition = None
        if form is not None:
            definition = next((f for g in form.property_groups for f in g.fields
                               if f.id == block_id), None)
        elif view.get("callback_id") == OFFBOARD_DETAILS_CALLBACK:
            bundle = await ctx.offboarding.bundle_form(view.get("private_metadata") or "",
                                                       ctx.settings.DEFAULT_REGION)
            definition = next((f.definition for f in bundle.fields if f.key == block_id),
                              None) if bundle else None
        if definition is None:
            await ack(options=[])
            return
        await ack(options=modals.choice_options(definition, body.get("value") or ""))
