"""What the Slack handlers need from the core, handed to them at start-up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.approval.posts import ApprovalPosts
from bot.domain import LineRequest
from bot.effects.outbox import OutboxSender
from bot.helpdesk.service import HelpdeskService
from bot.jobs.coalesce import Coalescer
from bot.offboarding.service import OffboardingService
from bot.orders.service import OrderService, Requester
from bot.settings import Settings
from bot.storage.home_visitors import HomeVisitors
from bot.storage.requests import RequestRepository
from bot.workflow_steps.store import StepRuns

if TYPE_CHECKING:
    from bot.mobproc_approvals.service import MobProcApprovals
    from bot.mobproc_approvals.watcher import ApprovalWatcher


@dataclass
class BotContext:
    settings: Settings
    orders: OrderService
    repo: RequestRepository
    outbox: OutboxSender
    helpdesk: HelpdeskService
    visitors: HomeVisitors
    # Homes to publish again: people are marked, and each Home goes out once per burst.
    homes: Coalescer
    approvals: ApprovalPosts[LineRequest]
    offboarding: OffboardingService
    # A Slack user's name and e-mail, for orders placed for them (read again when it has no
    # e-mail, as they are refused until it has one).
    profiles: Callable[[str], Awaitable[Requester]]
    # Workflow Builder step runs (``bot.workflow_steps``).
    steps: StepRuns
    # MobProc's own approval queue (set at start-up, after the context exists).
    mobproc_approvals: MobProcApprovals | None = None
    approval_watcher: ApprovalWatcher | None = None
