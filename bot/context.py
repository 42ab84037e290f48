"""What the Slack handlers need from the core, handed to them at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from bot.helpdesk import HelpdeskService
from bot.orders import OrderService
from bot.outbox import OutboxSender
from bot.settings import Settings
from bot.storage.repository import RequestRepository


@dataclass
class BotContext:
    settings: Settings
    orders: OrderService
    repo: RequestRepository
    outbox: OutboxSender
    helpdesk: HelpdeskService
