"""A process killed in the instant after a state change committed, for crash tests."""

from __future__ import annotations

from typing import Any

from bot.mobproc import assumed
from bot.slack_standin.polling import eventually


class Killed(Exception):
    """What a process killed at that instant leaves: the change committed, nothing after."""


def die_right_after(store: Any, method: str, state: Any, kills: list[str]) -> None:
    """``store.method(key, expected, new, …)``, a conditional state change, dies once it has
    committed a move to ``state`` (it returned the moved row, or True). Each kill's key goes
    to ``kills``, for the test to check that its crash did happen."""
    real = getattr(store, method)

    async def dies(key: str, expected: Any, new: Any, **kwargs: Any) -> Any:
        moved = await real(key, expected, new, **kwargs)
        if moved is not None and moved is not False and new is state:
            kills.append(key)
            raise Killed(f"killed right after {method} to {state.value}")
        return moved

    setattr(store, method, dies)


async def crashed(kills: list[str]) -> None:
    """Wait for the injected crash itself, not only for the change it follows: a change is
    visible to other connections a moment before the call that made it returns."""
    await eventually(lambda: kills)


def die_right_after_moving_to(bot: Any, state: Any) -> list[str]:
    """Every conditional state change the bot's repository offers dies once it committed a
    move to ``state``; returns the kills, as they happen."""
    kills: list[str] = []
    for method in ("move", "transition"):
        die_right_after(bot.ctx.repo, method, state, kills)
    return kills


def looked_up(simulator: Any) -> bool:
    """Whether the bot asked MobProc for an order by its externalOrderNumber: only a resumed
    submission does (a click's first submission never does)."""
    return any(r.method == "GET" and assumed.EXTERNAL_ORDER_NUMBER_FILTER in r.query
               for r in simulator.state.received)
