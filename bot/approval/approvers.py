"""Who may approve: APPROVERS user ids, plus members of its user groups (cached)."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping

from bot.mobproc.models import TransactionType

log = logging.getLogger(__name__)

GroupMembers = Callable[[str], Awaitable[list[str]]]


class ApproverDirectory:
    def __init__(self, approvers: Iterable[str], group_members: GroupMembers, *,
                 cache_seconds: float = 300.0, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        ids = list(approvers)
        self.users = {i for i in ids if not i.startswith("S")}
        self.groups = [i for i in ids if i.startswith("S")]
        self._group_members = group_members
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._cache: dict[str, tuple[float, set[str]]] = {}

    @property
    def configured(self) -> bool:
        return bool(self.users or self.groups)

    async def is_approver(self, user_id: str) -> bool:
        if user_id in self.users:
            return True
        for group in self.groups:
            if user_id in await self._members(group):
                return True
        return False

    async def everyone(self) -> set[str]:
        """Every approver by user id: the listed users and their groups' members."""
        people = set(self.users)
        for group in self.groups:
            people |= await self._members(group)
        return people

    async def _members(self, group: str) -> set[str]:
        now = self._clock()
        cached = self._cache.get(group)
        if cached and now - cached[0] < self._cache_seconds:
            return cached[1]
        try:
            members = set(await self._group_members(group))
        except Exception:  # Slack down or refusing: fall back to what we knew
            log.warning("Could not list members of user group %s", group, exc_info=True)
            return cached[1] if cached else set()
        self._cache[group] = (now, members)
        return members


class ApprovalPolicy:
    """How many approvers each order type needs (``APPROVALS_REQUIRED``; one by default)."""

    def __init__(self, required: Mapping[str, int] | None = None) -> None:
        self._required = {TransactionType(k): v for k, v in (required or {}).items()}

    def required(self, transaction_type: TransactionType) -> int:
        return self._required.get(transaction_type, 1)

    def for_types(self, types: Iterable[TransactionType]) -> int:
        """A request of several orders (a leaver's lines) needs the most any of them does."""
        return max((self.required(t) for t in types), default=1)
