"""Which database errors mean "away, try again later" (the inbox hands the message back
uncounted, the webhook answers 503) and which are a fault to log with its cause."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.storage.database import unreachable


def sqlite_error(statement: str, *, locked: bool = False) -> OperationalError:
    """The error SQLAlchemy raises for what the real SQLite answers to ``statement`` (with
    ``locked``, while another connection holds the database in an exclusive transaction)."""
    shared = "file:locked?mode=memory&cache=shared"
    holder = sqlite3.connect(shared, uri=True)
    asker = holder
    try:
        if locked:
            holder.execute("CREATE TABLE t (x)")
            holder.execute("BEGIN EXCLUSIVE")
            holder.execute("INSERT INTO t VALUES (1)")
            asker = sqlite3.connect(shared, uri=True, timeout=0)
        asker.execute(statement)
    except sqlite3.OperationalError as cause:
        return OperationalError(statement, {}, cause)
    finally:
        asker.close()
        holder.close()
    raise AssertionError(f"SQLite accepted {statement}")


@pytest.mark.parametrize(
    ("error", "away"),
    [
        (sqlite_error("SELECT * FROM message_log"), False),  # no such table: a fault
        (sqlite_error("SELEC 1"), False),  # a bad statement: a fault
        (sqlite_error("SELECT * FROM t", locked=True), True),  # another writer holds it
        (PoolTimeout("QueuePool limit reached, connection timed out"), True),
        (ConnectionRefusedError(111, "Connection refused"), True),
    ],
    ids=["no such table", "syntax", "locked", "pool timeout", "connection refused"],
)
def test_only_what_trying_again_cures_counts_as_the_database_away(
    error: BaseException, away: bool
) -> None:
    assert unreachable(error) is away
