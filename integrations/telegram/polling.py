"""Long polling on python-telegram-bot's updater, imported only by a channel that polls.

The updater confirms updates to Telegram (moves its offset on) only once each is kept: it
awaits its queue's ``put`` for each fetched update, and here ``put`` is keeping it. PTB's own
update processing is not used: nothing waits on a task of PTB's that could die unseen.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import logging
from collections.abc import Awaitable, Callable, Sequence

from pydantic import ValidationError
from telegram import Bot, Update
from telegram.error import TelegramError
from telegram.ext import Updater
from tenacity import AsyncRetrying, RetryCallState, wait_exponential

from integrations.http_input import describe
from integrations.telegram.errors import from_ptb
from integrations.telegram.request import AiohttpRequest
from integrations.telegram.schema import TelegramUpdate

log = logging.getLogger(__name__)

KEEP_RETRY_PAUSE = 1.0
"""Seconds before a polled update the inbox could not keep is tried again (doubling, up to
a minute)."""


class _KeepingQueue(asyncio.Queue[object]):
    """The updater's update queue: an update is "put" once ``keep`` has dealt with it.

    Should ``keep`` fail (the database is down), ``put`` logs it and tries again: raising would
    end PTB's polling task without a word, and the offset must not move on. Only PTB's own
    signals enter the queue itself.
    """

    def __init__(self, keep: Callable[[TelegramUpdate], Awaitable[None]]) -> None:
        super().__init__()
        self._keep = keep

    async def put(self, item: object) -> None:
        if not isinstance(item, Update):
            await super().put(item)
            return
        try:
            update = TelegramUpdate.model_validate(item.to_dict())
        except ValidationError as error:  # what a webhook would refuse with 400: skipped
            log.warning("telegram update %d refused: %s", item.update_id, describe(error))
            return
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=KEEP_RETRY_PAUSE, max=60),
            before_sleep=_note_keep_failure,
            reraise=True,
        )
        await retrying(self._keep, update)


def _note_keep_failure(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.error(
        "telegram update not kept, retry %d in %.0f s",
        state.attempt_number,
        state.upcoming_sleep,
        exc_info=error,
    )


class Poller:
    """Fetches updates with ``getUpdates`` and has each kept before it is confirmed.

    Args:
        token: the bot token.
        api_url: the Bot API server.
        keep: keeps one update (the channel's); retried until it succeeds.
        timeout: how long one long poll waits, in seconds.
        allowed_updates: the kinds of update asked for.
    """

    def __init__(
        self,
        token: str,
        api_url: str,
        keep: Callable[[TelegramUpdate], Awaitable[None]],
        timeout: float,
        allowed_updates: Sequence[str],
    ) -> None:
        base = api_url.rstrip("/")
        bot = Bot(
            token,
            base_url=f"{base}/bot",
            base_file_url=f"{base}/file/bot",
            request=AiohttpRequest(connection_pool_size=1),
            get_updates_request=AiohttpRequest(connection_pool_size=1),
        )
        self._updater = Updater(bot, _KeepingQueue(keep))
        self._timeout = dtm.timedelta(seconds=timeout)
        self._allowed = list(allowed_updates)

    async def start(self) -> None:
        """Check the token (``getMe``), delete any webhook and start polling.

        Raises:
            integrations.telegram.botapi.ApiError: Telegram refused, or could not be reached.
        """
        try:
            await self._updater.initialize()
            await self._updater.start_polling(timeout=self._timeout, allowed_updates=self._allowed)
        except TelegramError as error:
            raise from_ptb(error) from error

    async def stop(self) -> None:
        """Stop polling (the last updates fetched are kept first) and close the connections."""
        if self._updater.running:
            await self._updater.stop()
        await self._updater.shutdown()
        await self._updater.bot.shutdown()  # also after a failed start, which leaves it open
