"""Who may approve: user ids directly, user groups through Slack, cached for a while."""

from __future__ import annotations

from bot.approval.approvers import ApproverDirectory


class Groups:
    def __init__(self, members: dict[str, list[str]]) -> None:
        self.members = members
        self.calls = 0
        self.failing = False

    async def __call__(self, group: str) -> list[str]:
        self.calls += 1
        if self.failing:
            raise RuntimeError("slack is down")
        return self.members.get(group, [])


async def test_users_and_group_members() -> None:
    groups = Groups({"SAPPROVERS": ["U2"]})
    directory = ApproverDirectory(["U1", "SAPPROVERS"], groups)
    assert await directory.is_approver("U1")
    assert await directory.is_approver("U2")
    assert not await directory.is_approver("U3")
    assert directory.configured
    assert not ApproverDirectory([], groups).configured
    groups.members["SOTHER"] = ["U4", "U1"]
    both = ApproverDirectory(["U1", "SAPPROVERS", "SOTHER"], groups)
    assert await both.everyone() == {"U1", "U2", "U4"}


async def test_group_members_are_cached_then_refreshed() -> None:
    now = [0.0]
    groups = Groups({"S1": ["U2"]})
    directory = ApproverDirectory(["S1"], groups, cache_seconds=300, clock=lambda: now[0])
    await directory.is_approver("U2")
    now[0] = 299
    groups.members["S1"] = []
    assert await directory.is_approver("U2")  # still cached
    assert groups.calls == 1
    now[0] = 301
    assert not await directory.is_approver("U2")  # refreshed: no longer a member
    assert groups.calls == 2


async def test_a_failing_lookup_uses_what_was_known_or_denies() -> None:
    now = [0.0]
    groups = Groups({"S1": ["U2"]})
    directory = ApproverDirectory(["S1"], groups, cache_seconds=10, clock=lambda: now[0])
    assert await directory.is_approver("U2")
    groups.failing = True
    now[0] = 20
    assert await directory.is_approver("U2")
    fresh = ApproverDirectory(["S1"], groups)
    assert not await fresh.is_approver("U2")
