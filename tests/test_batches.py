"""Group commit (``bot.batches.GroupCommit``): callers that arrive while a batch is written go
together in the next one, and each gets its own item's result or failure."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.batches import GroupCommit


class Writer:
    """Doubles numbers, recording each call's batch; a negative number fails its batch."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.gate = asyncio.Event()
        self.writing = asyncio.Event()

    async def together(self, items: Sequence[int]) -> list[int]:
        self.batches.append(list(items))
        self.writing.set()
        await self.gate.wait()
        if any(item < 0 for item in items):
            raise ValueError("negative")
        return [2 * item for item in items]


async def test_callers_arriving_during_a_write_share_the_next_batch() -> None:
    writer = Writer()
    group = GroupCommit(writer.together, "doubled", limit=3)
    calls = [asyncio.create_task(group(0))]
    await writer.writing.wait()  # the first is being written
    calls += [asyncio.create_task(group(n)) for n in range(1, 6)]
    await asyncio.sleep(0)
    writer.gate.set()
    assert await asyncio.gather(*calls) == [0, 2, 4, 6, 8, 10]
    # The first went alone; the five that waited for it, three and then two (the limit).
    assert writer.batches == [[0], [1, 2, 3], [4, 5]]


async def test_a_failing_item_fails_only_its_own_caller() -> None:
    writer = Writer()
    writer.gate.set()
    group = GroupCommit(writer.together, "doubled")
    calls = [asyncio.create_task(group(n)) for n in (2, -3, 4)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert results[0] == 4 and results[2] == 8
    assert isinstance(results[1], ValueError)
    assert writer.batches == [[2, -3, 4], [2], [-3], [4]]
