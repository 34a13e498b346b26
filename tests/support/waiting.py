"""Waiting for something another process or task does, without a fixed sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(check: Callable[[], Awaitable[bool]], within: float) -> None:
    """Wait until ``check()`` holds, looking every tenth of a second; fail after ``within``."""
    async with asyncio.timeout(within):
        while True:
            if await check():
                return
            await asyncio.sleep(0.1)
