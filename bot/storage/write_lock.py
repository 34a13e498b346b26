"""A claim's write lock, taken before it reads the rows it is about to take.

A claim reads the rows free to take, then marks them taken. On PostgreSQL its read locks them
(``FOR UPDATE SKIP LOCKED``). SQLite's driver opens a transaction only at the first write, so
there the read happens outside any transaction: another process can claim (and even finish)
the same rows between the read and the UPDATE, and a claim whose UPDATE takes the rows by id,
without checking again what it read, takes them a second time. ``BEGIN IMMEDIATE`` takes
SQLite's one write lock before the read instead, as FOR UPDATE does on PostgreSQL.

Claims whose UPDATE checks again, row by row, what the read found (a compare-and-set) or that
claim in one statement need no lock: of two processes, only one UPDATE matches.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.sql import dialect


async def lock_for_claim(session: AsyncSession) -> None:
    """Hold the database's write lock from now to the end of the session's transaction on
    SQLite (a transaction that has written already holds it); nothing elsewhere."""
    if dialect(session) != "sqlite":
        return
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is not None and not driver.in_transaction:
        await session.execute(text("BEGIN IMMEDIATE"))
