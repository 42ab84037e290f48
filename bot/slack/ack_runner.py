"""Bolt's listener runner, told of an ack when it is given instead of looking every 10 ms.

Bolt (HTTP mode) runs each listener in a task of its own and looks for its ack every 10 ms,
for up to 3 s. A form submission waits up to 2 s for MobProc's confirmation before it
answers: 200 wake-ups of the event loop for one answer, and under a burst those looks
(each a timer in the loop's heap) were a tenth of the bot's CPU in yappi's count. Here the
ack itself says when it is given (``KeptAck.given``); everything else is Bolt's runner.
"""

from __future__ import annotations

import asyncio
import time

from slack_bolt.async_app import AsyncApp
from slack_bolt.listener.async_listener import AsyncListener
from slack_bolt.listener.asyncio_runner import AsyncioListenerRunner
from slack_bolt.logger.messages import warning_did_not_call_ack
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.kept_ack import KeptAck


class AckWaitingRunner(AsyncioListenerRunner):
    """Waits on the ack for listeners that ack themselves; the rest go to Bolt's own run
    (acked at once, lazy listeners, process-before-response, an ack not ours)."""

    def __init__(self, bolt: AsyncioListenerRunner) -> None:
        super().__init__(logger=bolt.logger,
                         process_before_response=bolt.process_before_response,
                         listener_error_handler=bolt.listener_error_handler,
                         listener_start_handler=bolt.listener_start_handler,
                         listener_completion_handler=bolt.listener_completion_handler,
                         lazy_listener_runner=bolt.lazy_listener_runner)
        self._listening: set[asyncio.Future[None]] = set()

    async def run(self, request: AsyncBoltRequest, response: BoltResponse,
                  listener_name: str, listener: AsyncListener,
                  starting_time: float | None = None) -> BoltResponse | None:
        ack = request.context.ack
        if self.process_before_response or request.lazy_only or listener.lazy_functions \
                or listener.auto_acknowledgement or not isinstance(ack, KeptAck):
            return await super().run(request, response, listener_name, listener,
                                     starting_time)
        started = starting_time if starting_time is not None else time.time()
        task = asyncio.ensure_future(self._listen(request, response, listener, ack))
        self._listening.add(task)
        task.add_done_callback(self._listening.discard)
        left = listener.ack_timeout - (time.time() - started)
        try:
            await asyncio.wait_for(ack.given.wait(), max(left, 0.0))
        except TimeoutError:
            self.logger.warning(warning_did_not_call_ack(listener_name))
            return None
        # As Bolt's runner: a response handed in by middleware wins over the ack's.
        return response if response is not None else ack.response

    async def _listen(self, request: AsyncBoltRequest, response: BoltResponse | None,
                      listener: AsyncListener, ack: KeptAck) -> None:
        """The listener as Bolt runs it: a failure before the ack answers 500; after it,
        the ack stands and the failure goes to the error handler."""
        try:
            await self.listener_start_handler.handle(request=request, response=response)
            await listener.run_ack_function(request=request, response=response)
        except Exception as e:
            failed: BoltResponse | None = None
            if ack.response is None:
                failed = response if response is not None else BoltResponse(status=500)
                failed.status = 500
            await self.listener_error_handler.handle(error=e, request=request,
                                                     response=failed)
            if failed is not None:
                ack.response = failed
        finally:
            await self.listener_completion_handler.handle(request=request, response=response)


def wait_on_acks(app: AsyncApp) -> None:
    """Give ``app`` this runner. Before any listener or error handler is registered: Bolt
    gives those to the runner it has then."""
    app._async_listener_runner = AckWaitingRunner(app.listener_runner)


# The code of a listener task this runner started (shutdown waits for those to finish).
LISTENER_CODE = AckWaitingRunner._listen.__code__
