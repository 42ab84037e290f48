"""Probes for ``eventually``: a stored request once it has reached a state or got its
approval message, the outbox once it is empty. Each returns what it found (or None), so a
test can wait for it and then look at it."""

from __future__ import annotations

from bot.domain import LineRequest, RequestState
from bot.runtime import RunningBot
from bot.storage.requests import RequestRepository


async def request_in(bot: RunningBot, request_id: str, state: RequestState
                     ) -> LineRequest | None:
    """The request once it is in ``state``."""
    request = await bot.ctx.repo.get(request_id)
    return request if request is not None and request.state is state else None


async def request_at(where: RunningBot | RequestRepository, channel: str, ts: str,
                     state: RequestState) -> LineRequest | None:
    """The request of the approval message (channel, ts) once it is in ``state``; looked up
    through a running bot or straight in the database."""
    repo = where if isinstance(where, RequestRepository) else where.ctx.repo
    request = await repo.get_by_message(channel, ts)
    return request if request is not None and request.state is state else None


async def with_approval_message(bot: RunningBot, request_id: str) -> LineRequest | None:
    """The request once its approval message is recorded on it."""
    request = await bot.ctx.repo.get(request_id)
    return request if request is not None and request.approval_ts else None


async def nothing_queued(bot: RunningBot) -> bool:
    """Nothing is left in the outbox to send to Slack."""
    return not await bot.ctx.repo.queued_calls()
