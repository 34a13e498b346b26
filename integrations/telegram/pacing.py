"""Pacing of sends: a short burst into one chat, then about one message a second; and the
bot's rate over all its chats together.

The bot-wide rate is Telegram's "no more than 30 messages per second" for a bot (up to 1,000
for bots with paid broadcasts): ``BotPace`` keeps it, in this process or, given a Redis store,
for every worker together.

Telegram's FAQ: "When sending messages inside a particular chat, avoid sending more than one
message per second. We may allow short bursts that go over this limit, but eventually you'll
begin receiving 429 errors." python-telegram-bot's ``AIORateLimiter`` only limits the whole bot
and group chats, so a long answer split into several messages, or a burst of proactive sends,
would reach one citizen faster than that. Each chat therefore gets its own leaky bucket
(``aiolimiter``, already installed for ``AIORateLimiter``); other chats never wait on it.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections import deque
from dataclasses import dataclass

from aiolimiter import AsyncLimiter
from limits import RateLimitItemPerSecond
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter

# A bucket empties ``burst / per_second`` seconds after its chat's last send (3 s by default),
# and the bot-wide limit of about 30 messages a second leaves at most ~90 chats with a bucket
# still filling; remembering this many chats never forgets a busy one, which would hand it a
# fresh burst, while idle chats cost no memory beyond this bound.
REMEMBERED_CHATS = 1024


@dataclass(frozen=True, slots=True)
class ChatPace:
    """How fast the bot writes into one chat.

    Attributes:
        burst: how many messages may go out at once into an idle chat.
        per_second: the steady rate after the burst.
    """

    burst: int
    per_second: float

    def __post_init__(self) -> None:
        if self.burst < 1 or not self.per_second > 0:
            raise ValueError("a chat pace needs a burst of at least 1 and a positive rate")


# One message a second as the FAQ asks, after a burst of 3: enough for a long answer's first
# parts to arrive together, small enough to stay inside the "short bursts" Telegram tolerates.
TELEGRAM_PACE = ChatPace(burst=3, per_second=1.0)


DEFAULT_GLOBAL_RATE = 30
"""Messages a second Telegram lets a bot send over all its chats, unless it pays for more."""

MIN_WAIT = 0.005
"""Seconds a refused sender waits at least before asking again (a window can end sooner)."""


class BotPace:
    """The ``SendPace`` port on a moving window: of the ``limits`` library in a shared store,
    of this process's own send times without one.

    A moving window, not a fixed one or a leaky bucket: a fixed window lets a whole allowance
    through at the end of one second and another at the start of the next, which Telegram
    counts as a flood, and ``aiolimiter``'s bucket reached only three quarters of its rate
    with many senders waiting (``python -m bench.telegram_rate``). The window's counts live in
    ``storage`` (Redis, for workers that share the rate) or, by default, in this process: the
    times of the last second's sends, since ``limits``' memory store starts a task and a thread
    job for nearly every send to expire its entries (a third of the pacing's CPU).
    """

    def __init__(
        self, rate: int = DEFAULT_GLOBAL_RATE, storage: Storage | None = None, key: str = "bot"
    ) -> None:
        if rate < 1:
            raise ValueError("a bot-wide rate must be at least one message a second")
        self._rate = RateLimitItemPerSecond(rate)
        self._key = key
        self._window = MovingWindowRateLimiter(storage) if storage is not None else None
        self._sent: deque[float] = deque()  # without a store: this process's sends, oldest first
        # Refused senders wait in line and one of them asks the store at a time, in the order
        # they came: a thousand of them polling at once would only load Redis and jumble the
        # order. While nobody waits, a sender asks at once, not behind the request in flight:
        # its request then leaves in the same turn of the event loop as the reply's turn ended,
        # so a worker sends that turn's lock release to Redis with it, in one round trip.
        self._turn = asyncio.Lock()

    async def wait(self) -> None:
        """Return once one more message fits in the window (it is counted)."""
        if self._window is None:
            async with self._turn:
                pause = self._hit_here()
                while pause > 0:
                    await asyncio.sleep(max(MIN_WAIT, pause))
                    pause = self._hit_here()
            return
        if not self._turn.locked() and await self._window.hit(self._rate, self._key):
            return
        async with self._turn:
            while not await self._window.hit(self._rate, self._key):
                stats = await self._window.get_window_stats(self._rate, self._key)
                await asyncio.sleep(max(MIN_WAIT, stats.reset_time - time.time()))

    def _hit_here(self) -> float:
        """Count one more send in this process's window: 0 when it fits, else the seconds
        until its oldest send leaves the window."""
        now = time.monotonic()
        second = self._rate.get_expiry()
        while self._sent and self._sent[0] <= now - second:
            self._sent.popleft()
        if len(self._sent) < self._rate.amount:
            self._sent.append(now)
            return 0.0
        return self._sent[0] + second - now


class ChatPacer:
    """Hands out each chat's limiter; ``async with pacer(chat_id):`` before every send."""

    def __init__(self, pace: ChatPace, remembered: int = REMEMBERED_CHATS) -> None:
        self._pace = pace
        self._limiters = functools.lru_cache(maxsize=remembered)(self._new_limiter)

    def __call__(self, chat_id: int) -> AsyncLimiter:
        """The limiter of ``chat_id``, created on its first send."""
        return self._limiters(chat_id)

    def _new_limiter(self, chat_id: int) -> AsyncLimiter:
        # ``chat_id`` is only the cache key. A bucket of ``burst`` draining at ``per_second``
        # lets the burst through at once, then one message every ``1 / per_second`` seconds.
        return AsyncLimiter(self._pace.burst, self._pace.burst / self._pace.per_second)
