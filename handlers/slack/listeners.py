"""Binding a feature's module-level listener to the app's context, for Bolt.

Listeners are named ``async def`` functions taking ``ctx: BotContext`` first, then what Bolt
injects (``ack``, ``body``, ``client``, ``request``...). Bolt injects by parameter name: it
reads ``inspect.getfullargspec(inspect.unwrap(listener)).args`` and calls the listener with
those keywords only, and refuses anything but a coroutine function. So the bound listener
is a coroutine function whose ``__signature__`` is the listener's minus ``ctx``, and it
carries no ``__wrapped__`` (``inspect.unwrap`` would find ``ctx`` again; Bolt would then
pass ``ctx=None``). It keeps the listener's name for Bolt's loggers."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from bot.context import BotContext

Listener = Callable[..., Awaitable[Any]]


def with_ctx(listener: Listener, ctx: BotContext) -> Listener:
    """``listener`` as Bolt calls it: ``ctx`` given, the rest injected by name."""
    signature = inspect.signature(listener)
    parameters = list(signature.parameters.values())
    if not parameters or parameters[0].name != "ctx":
        raise TypeError(f"{listener.__qualname__} must take ctx as its first parameter")

    async def bound(**injected: Any) -> Any:
        return await listener(ctx, **injected)

    for name in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(bound, name, getattr(listener, name))
    bound.__signature__ = signature.replace(parameters=parameters[1:])  # type: ignore[attr-defined]
    return bound
