"""The async engine and its units of work, set up the same way for SQLite and PostgreSQL.

A database that does not answer (restarting, unreachable, out of connections) is told apart
from one that refused a statement (``unreachable``), and each unit of work it failed is
reported once (``on_unreachable``: ``/metrics`` counts them).
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from bot.storage.json_text import serialise

# How long a SQLite writer waits for another writer before giving up (seconds).
SQLITE_BUSY_TIMEOUT = 30


def sqlite_file(url: URL) -> Path | None:
    """The file behind a SQLite URL, or None for other databases and in-memory SQLite."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside the one writer; foreign keys are off by default in SQLite."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _closed_is_replaced(
    _dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
) -> None:
    """A pooled PostgreSQL connection the server closed (a restart, a terminated backend) is
    replaced before a unit of work gets it.

    asyncpg hears the server's close on the idle socket by itself, so asking it costs no trip;
    SQLAlchemy's pre-ping asked the server at every checkout (a BEGIN, an empty query and a
    ROLLBACK: three trips a unit of work, see ``bench/throughput.md``). A connection
    lost without a word (a network cut) fails the unit of work's first statement instead, as one
    lost during a unit of work always did: the database away (``unreachable``), the whole pool
    renewed, and the inbox's turn handed back to be tried again.
    """
    connection = record.driver_connection  # asyncpg's own, under SQLAlchemy's adapter
    if connection is not None and connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` says the database could not be reached, rather than refused a query.

    A connection refused, reset or timed out (the driver's bare ``OSError``, not an HTTP
    client's subclass of it), the pool's wait running out, PostgreSQL shutting down or starting
    up: what trying again later cures.
    """
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OSError):
        return type(error).__module__ in ("builtins", "socket")
    if isinstance(error, OperationalError | InterfaceError | PoolTimeout):
        return not _refused_by_sqlite(error)
    # asyncpg is loaded by a PostgreSQL engine only: without it, none of its errors exist.
    postgres = sys.modules.get("asyncpg.exceptions")
    return postgres is not None and isinstance(
        error, postgres.PostgresConnectionError | postgres.OperatorInterventionError
    )


_SQLITE_AWAY = frozenset(
    {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN}
)
"""SQLite's answers that trying again cures: another writer holds the file, or the file could
not be read or opened. SQLite reports a missing table or a bad statement as an "operational"
error too, and that is a fault to be logged with its cause, not a database away."""


def _refused_by_sqlite(error: DBAPIError | PoolTimeout) -> bool:
    cause = getattr(error, "orig", None)
    if not isinstance(cause, sqlite3.Error):
        return False
    code = getattr(cause, "sqlite_errorcode", None)
    return code is None or code & 0xFF not in _SQLITE_AWAY


@dataclass(frozen=True, slots=True)
class PoolSize:
    """How many connections a server database's engine holds, and how long a request waits.

    Under load every unit of work waits up to ``timeout`` seconds for one of ``size`` +
    ``overflow`` connections instead of failing at once; PostgreSQL's own limit
    (``max_connections``, 100 by default) must cover every worker's ``size + overflow``.
    """

    size: int = 10
    overflow: int = 20
    timeout: float = 30.0


class Database:
    """One engine per process; ``transaction()`` opens one session per unit of work."""

    def __init__(
        self,
        url: str,
        pool: PoolSize | None = None,
        on_unreachable: Callable[[], None] | None = None,
    ) -> None:
        """An engine for ``url``; ``on_unreachable`` is told of each unit of work that failed
        because the database did not answer."""
        self.url = make_url(url)
        self._on_unreachable = on_unreachable
        connect_args: dict[str, Any] = {}
        engine_args: dict[str, Any] = {}
        if self.url.get_backend_name() == "sqlite":
            # Loaded here: a PostgreSQL worker has no use for aiosqlite.
            from bot.storage.sqlite_driver import OneTripDBAPI

            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT
            engine_args["module"] = OneTripDBAPI()
            if (path := sqlite_file(self.url)) is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
        else:
            pool = pool or PoolSize()
            engine_args |= {
                "pool_size": pool.size,
                "max_overflow": pool.overflow,
                "pool_timeout": pool.timeout,
            }
        self.engine = create_async_engine(
            self.url,
            connect_args=connect_args,
            # Errors would otherwise quote the statement's parameters (what users typed) in logs.
            hide_parameters=True,
            json_serializer=serialise,  # a state serialised already is not serialised again
            **engine_args,
        )
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        else:  # a server's connection may have died while pooled; a SQLite file's cannot
            event.listen(self.engine.sync_engine, "checkout", _closed_is_replaced)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time; writers that collide sleep in SQLite's busy handler
        # for up to seconds, so this process queues its units of work instead (p99 of 20
        # concurrent web users: about 2.5 s without the queue, about 0.13 s with it).
        self._sqlite_queue = asyncio.Lock() if self.dialect == "sqlite" else None
        self._local_locks: dict[str, asyncio.Lock] = {}

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.url.get_backend_name()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one transaction: committed on success, rolled back on any error."""
        queue = self._sqlite_queue or nullcontext()
        try:
            async with queue, self._sessions() as session, session.begin():
                yield session
        except Exception as error:
            self._noticed(error)
            raise

    def _noticed(self, error: BaseException) -> None:
        if self._on_unreachable is not None and unreachable(error):
            self._on_unreachable()

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[None]:
        """Hold the lock called ``name`` against every process on this database.

        PostgreSQL: a transaction-scoped advisory lock on a connection of its own, released
        when the block ends or the holder's connection dies. SQLite serves one process, so an
        ``asyncio.Lock`` per name is the same guarantee.
        """
        if self.dialect != "postgresql":
            lock = self._local_locks.setdefault(name, asyncio.Lock())
            async with lock:
                yield
            return
        key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), signed=True)
        async with self.engine.begin() as connection:
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            yield

    async def ping(self) -> None:
        """Raise unless the database answers (for health checks)."""
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as error:
            self._noticed(error)
            raise

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.dispose()
