"""The sandbox portal's own SQLite file: dossiers, history, attachments, keys and webhooks.

It is deliberately separate from motcua's database: the sandbox plays another organisation's
system, so it shares nothing with motcua but the HTTP contract. One connection serves the
process; the sandbox serialises its writes with one lock, which is plenty for a sandbox.

Every call is a trip to aiosqlite's thread and back, and every commit an fsync: the methods
taking many rows (``get_many``, ``update_many``, ``histories``, ``webhooks_delivered``, ...)
do a burst's work in one trip each, so an officer moving a thousand dossiers costs a handful
of statements and one commit, not thousands.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Sequence, Sized
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (
    agency TEXT NOT NULL, day TEXT NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (agency, day));
CREATE TABLE IF NOT EXISTS dossiers (
    code TEXT PRIMARY KEY,
    procedure_code TEXT NOT NULL,
    record TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    due_date TEXT NOT NULL,
    paused_since TEXT,
    fee_amount INTEGER NOT NULL,
    fee_paid INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS ix_dossiers_updated_at ON dossiers (updated_at);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY, code TEXT NOT NULL, status TEXT NOT NULL, at TEXT NOT NULL,
    note TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ix_history_code ON history (code);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL,
    at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY, code TEXT NOT NULL, document_name TEXT NOT NULL,
    filename TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL, data BLOB NOT NULL,
    at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (
    event_id TEXT PRIMARY KEY, url TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL,
    next_at TEXT NOT NULL, delivered_at TEXT);
CREATE INDEX IF NOT EXISTS ix_webhooks_next_at ON webhooks (delivered_at, next_at);
"""


@dataclass(frozen=True, slots=True)
class StoredDossier:
    """One dossier row: the filed request (``record``) and its processing state."""

    code: str
    procedure_code: str
    record: dict[str, Any]
    status: str
    submitted_at: datetime
    updated_at: datetime
    due_date: str
    paused_since: datetime | None
    fee_amount: int
    fee_paid: bool


@dataclass(frozen=True, slots=True)
class PendingWebhook:
    """A status-change webhook not yet acknowledged by its receiver."""

    event_id: str
    url: str
    body: str
    attempts: int


class SandboxStore:
    """Async access to the sandbox's SQLite file; ``async with`` opens and closes it."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db: aiosqlite.Connection | None = None

    async def __aenter__(self) -> SandboxStore:
        """Open (and create) the file."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self._path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.executescript(_SCHEMA)
        await self._db.commit()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Close the file."""
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._db is None:
            raise RuntimeError("SandboxStore used outside its `async with` block")
        return self._db

    async def commit(self) -> None:
        """Make everything written since the last commit durable."""
        await self.db.commit()

    async def rollback(self) -> None:
        """Drop everything written since the last commit."""
        await self.db.rollback()

    async def kept_secret(self, name: str, given: str | None) -> str:
        """``given`` when set; else the value kept under ``name``, generated on first use.

        So a sandbox started without settings keeps the same API key and webhook secret across
        restarts, and ``motcua portal-sandbox move`` can read the key from the same file.
        """
        if given:
            return given
        async with self.db.execute("SELECT value FROM meta WHERE key = ?", (name,)) as cursor:
            row = await cursor.fetchone()
        if row is not None:
            return str(row[0])
        value = secrets.token_urlsafe(32)
        await self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (name, value))
        await self.db.commit()
        return value

    async def next_number(self, agency: str, day: str) -> int:
        """The next receipt number of an agency on a day (restarting at 1 every day)."""
        await self.db.execute(
            "INSERT INTO counters (agency, day, last) VALUES (?, ?, 1) "
            "ON CONFLICT (agency, day) DO UPDATE SET last = last + 1",
            (agency, day),
        )
        async with self.db.execute(
            "SELECT last FROM counters WHERE agency = ? AND day = ?", (agency, day)
        ) as cursor:
            row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    async def remembered(self, key: str) -> tuple[str, int, dict[str, Any]] | None:
        """The (fingerprint, status, body) first answered for an idempotency key, if any."""
        async with self.db.execute(
            "SELECT fingerprint, status, body FROM idempotency WHERE key = ?", (key,)
        ) as cursor:
            row = await cursor.fetchone()
        return None if row is None else (row[0], int(row[1]), json.loads(row[2]))

    async def remember(
        self, key: str, fingerprint: str, status: int, body: dict[str, Any], at: datetime
    ) -> None:
        """Keep the first answer to an idempotency key."""
        await self.db.execute(
            "INSERT INTO idempotency (key, fingerprint, status, body, at) VALUES (?, ?, ?, ?, ?)",
            (key, fingerprint, status, json.dumps(body, ensure_ascii=False), at.isoformat()),
        )

    async def insert(self, dossier: StoredDossier) -> None:
        """Add a new dossier."""
        await self.db.execute(
            "INSERT INTO dossiers (code, procedure_code, record, status, submitted_at, "
            "updated_at, due_date, paused_since, fee_amount, fee_paid) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                dossier.code,
                dossier.procedure_code,
                json.dumps(dossier.record, ensure_ascii=False),
                dossier.status,
                dossier.submitted_at.isoformat(),
                dossier.updated_at.isoformat(),
                dossier.due_date,
                None,
                dossier.fee_amount,
                int(dossier.fee_paid),
            ),
        )

    async def update(self, dossier: StoredDossier) -> None:
        """Save a dossier's processing state."""
        await self.update_many([dossier])

    async def update_many(self, dossiers: Sequence[StoredDossier]) -> None:
        """Save the processing state of several dossiers in one trip."""
        await self.db.executemany(
            "UPDATE dossiers SET status = ?, updated_at = ?, due_date = ?, paused_since = ?, "
            "fee_paid = ? WHERE code = ?",
            [
                (
                    dossier.status,
                    dossier.updated_at.isoformat(),
                    dossier.due_date,
                    dossier.paused_since.isoformat() if dossier.paused_since else None,
                    int(dossier.fee_paid),
                    dossier.code,
                )
                for dossier in dossiers
            ],
        )

    async def set_record(self, code: str, record: dict[str, Any]) -> None:
        """Replace what is kept of a dossier's request and the desk's notes on it."""
        await self.db.execute(
            "UPDATE dossiers SET record = ? WHERE code = ?",
            (json.dumps(record, ensure_ascii=False), code),
        )

    async def get(self, code: str) -> StoredDossier | None:
        """The dossier with this code, or None."""
        return (await self.get_many([code])).get(code)

    async def get_many(self, codes: Collection[str]) -> dict[str, StoredDossier]:
        """Code -> dossier, for those of ``codes`` that exist, in one trip."""
        found: dict[str, StoredDossier] = {}
        for chunk in _chunks(sorted(set(codes))):
            async with self.db.execute(
                _SELECT + f" WHERE code IN ({_marks(chunk)})", chunk
            ) as cursor:
                found.update((row[0], _dossier(row)) for row in await cursor.fetchall())
        return found

    async def changed_since(self, since: datetime, limit: int) -> list[StoredDossier]:
        """Dossiers updated at or after ``since``, oldest first."""
        async with self.db.execute(
            _SELECT + " WHERE updated_at >= ? ORDER BY updated_at, code LIMIT ?",
            (since.isoformat(), limit),
        ) as cursor:
            return [_dossier(row) for row in await cursor.fetchall()]

    async def add_history(self, code: str, status: str, at: datetime, note: str) -> None:
        """Record a status change."""
        await self.add_histories([(code, status, at, note)])

    async def add_histories(self, changes: Sequence[tuple[str, str, datetime, str]]) -> None:
        """Record status changes, each (code, status, at, note), in order, in one trip."""
        await self.db.executemany(
            "INSERT INTO history (code, status, at, note) VALUES (?, ?, ?, ?)",
            [(code, status, at.isoformat(), note) for code, status, at, note in changes],
        )

    async def histories(self, codes: Collection[str]) -> dict[str, list[tuple[str, str, str]]]:
        """Code -> (status, at, note) of every change of that dossier, oldest first."""
        return await self._rows_by_code("status, at, note", "history", codes)

    async def add_attachment(
        self,
        code: str,
        document_name: str,
        filename: str,
        content_type: str,
        data: bytes,
        at: datetime,
    ) -> int:
        """Keep an attached file; its id."""
        cursor = await self.db.execute(
            "INSERT INTO attachments (code, document_name, filename, content_type, size, data, "
            "at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (code, document_name, filename, content_type, len(data), data, at.isoformat()),
        )
        return int(cursor.lastrowid or 0)

    async def attachment_names(self, codes: Collection[str]) -> dict[str, list[str]]:
        """Code -> the document names attached to that dossier, in order."""
        found = await self._rows_by_code("document_name", "attachments", codes)
        return {code: [name for (name,) in rows] for code, rows in found.items()}

    async def _rows_by_code(
        self, columns: str, table: str, codes: Collection[str]
    ) -> dict[str, list[Any]]:
        """Code -> ``columns`` of ``table``'s rows for that dossier, in the order they were
        added, read a chunk of codes at a time."""
        found: dict[str, list[Any]] = {code: [] for code in codes}
        for chunk in _chunks(sorted(found)):
            async with self.db.execute(
                f"SELECT code, {columns} FROM {table} WHERE code IN ({_marks(chunk)}) ORDER BY id",
                chunk,
            ) as cursor:
                for code, *rest in await cursor.fetchall():
                    found[code].append(tuple(rest))
        return found

    async def queue_webhooks(self, webhooks: Sequence[tuple[str, str, str, datetime]]) -> None:
        """Queue webhooks, each (event id, url, body, first try at), in one trip."""
        await self.db.executemany(
            "INSERT INTO webhooks (event_id, url, body, attempts, next_at) VALUES (?, ?, ?, 0, ?)",
            [(event_id, url, body, at.isoformat()) for event_id, url, body, at in webhooks],
        )

    async def due_webhooks(self, now: datetime, limit: int) -> list[PendingWebhook]:
        """Undelivered webhooks whose next try is due."""
        async with self.db.execute(
            "SELECT event_id, url, body, attempts FROM webhooks "
            "WHERE delivered_at IS NULL AND next_at <= ? ORDER BY next_at LIMIT ?",
            (now.isoformat(), limit),
        ) as cursor:
            return [PendingWebhook(r[0], r[1], r[2], int(r[3])) for r in await cursor.fetchall()]

    async def webhooks_delivered(self, event_ids: Sequence[str], at: datetime) -> None:
        """The receivers acknowledged these webhooks (or they were given up on): not sent
        again. Not committed: the caller commits a round's outcomes together."""
        await self.db.executemany(
            "UPDATE webhooks SET delivered_at = ? WHERE event_id = ?",
            [(at.isoformat(), event_id) for event_id in event_ids],
        )

    async def webhooks_retried(self, retries: Sequence[tuple[str, int, datetime]]) -> None:
        """Webhooks not acknowledged, each (event id, attempts so far, next try at).
        Not committed: the caller commits a round's outcomes together."""
        await self.db.executemany(
            "UPDATE webhooks SET attempts = ?, next_at = ? WHERE event_id = ?",
            [(attempts, next_at.isoformat(), event_id) for event_id, attempts, next_at in retries],
        )


MAX_PARAMETERS = 500
"""Codes read with one statement at most (SQLite's default limit is 999 parameters)."""


def _chunks(codes: Sequence[str]) -> list[Sequence[str]]:
    return [codes[at : at + MAX_PARAMETERS] for at in range(0, len(codes), MAX_PARAMETERS)]


def _marks(values: Sized) -> str:
    return ", ".join("?" * len(values))


_SELECT = (
    "SELECT code, procedure_code, record, status, submitted_at, updated_at, due_date, "
    "paused_since, fee_amount, fee_paid FROM dossiers"
)


def _dossier(row: Any) -> StoredDossier:
    return StoredDossier(
        code=row[0],
        procedure_code=row[1],
        record=json.loads(row[2]),
        status=row[3],
        submitted_at=datetime.fromisoformat(row[4]),
        updated_at=datetime.fromisoformat(row[5]),
        due_date=row[6],
        paused_since=datetime.fromisoformat(row[7]) if row[7] else None,
        fee_amount=int(row[8]),
        fee_paid=bool(row[9]),
    )
