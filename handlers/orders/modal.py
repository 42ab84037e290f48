"""Opening the order modal: a loading view at once (trigger ids last 3 s), then the form."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk.web.async_client import AsyncWebClient

from blocks.orders import modals
from bot.context import BotContext
from bot.domain import FormInput, OrderForm, OrderKind
from bot.orders.service import OrderRefused
from bot.phone import ServiceNumber
from handlers.slack.io import open_view, update_view


async def open_order_modal(ctx: BotContext, client: AsyncWebClient, *, kind: OrderKind,
                           number: ServiceNumber, trigger_id: str, user_id: str,
                           channel: str | None, requester_id: str | None = None,
                           helpdesk: tuple[str, str] | None = None,
                           prefill: Callable[[OrderForm], FormInput] | None = None) -> None:
    """``user_id`` fills the form in; ``requester_id`` (default: the same) is who it is for."""
    view_id = await open_view(client, trigger_id=trigger_id, view=modals.loading_view(kind),
                              user_id=user_id, channel=channel)
    if view_id is None:
        return
    await fill_order_modal(ctx, client, view_id=view_id, kind=kind, number=number,
                           user_id=user_id, channel=channel, requester_id=requester_id,
                           helpdesk=helpdesk, prefill=prefill)


async def fill_order_modal(ctx: BotContext, client: AsyncWebClient, *, view_id: str,
                           kind: OrderKind, number: ServiceNumber, user_id: str,
                           channel: str | None, requester_id: str | None = None,
                           helpdesk: tuple[str, str] | None = None,
                           prefill: Callable[[OrderForm], FormInput] | None = None) -> None:
    """Find the line and put its order form (or why there is none) into an open modal."""
    requester = await ctx.profiles(requester_id or user_id)
    try:
        if not requester.email:
            who = "Your Slack profile has" if requester.user_id == user_id else \
                f"<@{requester.user_id}>'s Slack profile has"
            raise OrderRefused(f"{who} no e-mail address, and MobProc needs it to place "
                               "orders for them. Please add one to the profile, or ask an "
                               "admin.")
        form = await ctx.orders.open_form(kind, number, requester, channel, entered_by=user_id,
                                          helpdesk=helpdesk)
        view = modals.order_form_view(form, entered=prefill(form) if prefill else None,
                                      region=ctx.settings.DEFAULT_REGION)
    except OrderRefused as refusal:
        view = modals.error_view(kind, refusal.message)
    await update_view(client, view_id=view_id, view=view, user_id=user_id, channel=channel)
