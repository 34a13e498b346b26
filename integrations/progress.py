"""Sending one reply's platform messages in order, from where an earlier attempt stopped.

Every adapter sends a reply as a list of platform messages and may be refused part way; the
inbox sends the replies again later with a ``dialogs.ports.Progress`` that says how many went
through. Skipping those and recording each acceptance is the same on every platform, so it
lives here once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from dialogs.ports import Progress

Message = TypeVar("Message")


class Unrecorded:
    """The progress of a send nobody sends again from a kept row (a reminder, a broadcast,
    the in-memory inbox): it starts at the first message and records nothing."""

    sent = 0

    async def accepted(self, count: int) -> None:
        """Nothing keeps it."""


UNRECORDED = Unrecorded()


async def send_unsent(
    messages: Sequence[Message], progress: Progress, send: Callable[[Message], Awaitable[None]]
) -> None:
    """Send the messages the platform has not accepted yet, in order, recording each one's
    acceptance before the next is sent.

    The last one's is not recorded: the caller marks the whole reply sent just after, which
    says as much for the same one statement. A refusal raises out of ``send`` and leaves the
    count at the messages before it.
    """
    last = len(messages) - 1
    for index in range(progress.sent, len(messages)):
        await send(messages[index])
        if index < last:
            await progress.accepted(index + 1)
