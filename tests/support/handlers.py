"""A small real message handler for adapter tests: it records what arrives and answers."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from dialogs.messages import IncomingMessage, Reply

Answer = Callable[[IncomingMessage], Sequence[Reply] | Awaitable[Sequence[Reply]]]


def no_answer(message: IncomingMessage) -> Sequence[Reply]:
    """Answer nothing (the message is only recorded)."""
    return ()


def echo(message: IncomingMessage) -> Sequence[Reply]:
    """Answer with what was typed or tapped."""
    return [Reply(f"echo: {message.text or message.payload}")]


@dataclass
class RecordingHandler:
    """Records every message and answers with ``answer`` (plain or a coroutine function).

    Set ``gate`` to hold every call until the test opens it; ``started`` is set by the first.
    """

    answer: Answer = no_answer
    received: list[IncomingMessage] = field(default_factory=list)
    gate: asyncio.Event | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def __call__(self, message: IncomingMessage) -> Sequence[Reply]:
        self.received.append(message)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        replies = self.answer(message)
        return await replies if inspect.isawaitable(replies) else replies
