"""Console accounts, their server-side sessions and the append-only audit log of staff actions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.sql import rowcount
from bot.storage.tables import StaffAuditRow, StaffRow, StaffSessionRow


class Role(StrEnum):
    """What an account may do in the console."""

    ADMIN = "admin"
    """Everything, in every commune, accounts included."""
    STAFF = "staff"
    """Conversations, dossiers and local information of their own communes."""
    COORDINATOR = "coordinator"
    """Approves, refuses and revokes members of the community digital-technology groups, who
    may then file dossiers on someone else's behalf; nothing else."""


@dataclass(frozen=True, slots=True)
class Staff:
    """An account as the console sees it (never its password hash)."""

    id: int
    email: str
    name: str
    role: Role
    communes: tuple[str, ...]

    def serves(self, commune: str | None) -> bool:
        """Whether this account may see and act on ``commune``'s records.

        A record whose commune is not known yet is an admin's to route.
        """
        return self.role is Role.ADMIN or (commune is not None and commune in self.communes)


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a login checks: the hash and the lockout state."""

    staff: Staff
    password_hash: str
    failed_logins: int
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: datetime
    staff_email: str
    action: str
    target: str | None
    commune: str | None


def _staff(row: StaffRow) -> Staff:
    return Staff(row.id, row.email, row.name, Role(row.role), tuple(row.communes))


class SqlStaff:
    """The ``staff``, ``staff_sessions`` and ``staff_audit`` tables, in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        email: str,
        name: str,
        password_hash: str,
        role: Role,
        communes: Sequence[str],
        now: datetime,
    ) -> Staff | None:
        """Create an account; None when the e-mail already has one."""
        if await self._row_by_email(email) is not None:
            return None
        row = StaffRow(
            email=email,
            name=name,
            password_hash=password_hash,
            role=role.value,
            communes=list(communes),
            failed_logins=0,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return _staff(row)

    async def all(self) -> list[Staff]:
        """Every account, by e-mail."""
        rows = await self._session.scalars(select(StaffRow).order_by(StaffRow.email))
        return [_staff(row) for row in rows]

    async def get(self, staff_id: int) -> Staff | None:
        """One account by id."""
        row = await self._session.get(StaffRow, staff_id)
        return None if row is None else _staff(row)

    async def credentials(self, email: str) -> Credentials | None:
        """The password hash and lockout of the account with ``email``."""
        row = await self._row_by_email(email)
        if row is None:
            return None
        return Credentials(_staff(row), row.password_hash, row.failed_logins, row.locked_until)

    async def login_failed(self, staff_id: int, locked_until: datetime | None) -> None:
        """Count a wrong password; ``locked_until`` locks the account when it is the last try."""
        values: dict[str, object] = {"failed_logins": StaffRow.failed_logins + 1}
        if locked_until is not None:
            values = {"failed_logins": 0, "locked_until": locked_until}
        await self._session.execute(update(StaffRow).where(StaffRow.id == staff_id).values(values))

    async def login_succeeded(self, staff_id: int, password_hash: str | None) -> None:
        """Reset the failure count; store a rehashed password when argon2's parameters moved."""
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if password_hash is not None:
            values["password_hash"] = password_hash
        await self._session.execute(update(StaffRow).where(StaffRow.id == staff_id).values(values))

    async def delete(self, staff_id: int) -> bool:
        """Delete an account; its sessions go with it (the cookie stops working at once)."""
        result = await self._session.execute(delete(StaffRow).where(StaffRow.id == staff_id))
        return rowcount(result) > 0

    async def admins(self) -> int:
        """How many admin accounts there are (the last one may not be deleted)."""
        found = await self._session.scalar(
            select(func.count()).select_from(StaffRow).where(StaffRow.role == Role.ADMIN.value)
        )
        return int(found or 0)

    async def open_session(
        self, token_hash: str, staff_id: int, csrf: str, now: datetime, expires_at: datetime
    ) -> None:
        """Keep a new session."""
        self._session.add(
            StaffSessionRow(
                token_hash=token_hash,
                staff_id=staff_id,
                csrf=csrf,
                created_at=now,
                expires_at=expires_at,
            )
        )
        await self._session.flush()

    async def session(self, token_hash: str, now: datetime) -> tuple[Staff, str] | None:
        """The account and form token of a live session; None when expired, ended or deleted."""
        found = (
            await self._session.execute(
                select(StaffRow, StaffSessionRow.csrf)
                .join(StaffSessionRow, StaffSessionRow.staff_id == StaffRow.id)
                .where(StaffSessionRow.token_hash == token_hash, StaffSessionRow.expires_at > now)
            )
        ).first()
        return None if found is None else (_staff(found[0]), found[1])

    async def close_session(self, token_hash: str) -> None:
        """End a session (log out)."""
        await self._session.execute(
            delete(StaffSessionRow).where(StaffSessionRow.token_hash == token_hash)
        )

    async def forget_expired_sessions(self, now: datetime) -> int:
        """Delete sessions past their expiry."""
        result = await self._session.execute(
            delete(StaffSessionRow).where(StaffSessionRow.expires_at <= now)
        )
        return rowcount(result)

    async def audit(
        self,
        staff: Staff | None,
        action: str,
        now: datetime,
        *,
        target: str | None = None,
        commune: str | None = None,
        email: str | None = None,
    ) -> None:
        """Append one line to the audit log (there is no way to change or remove one)."""
        self._session.add(
            StaffAuditRow(
                at=now,
                staff_id=None if staff is None else staff.id,
                staff_email=staff.email if staff is not None else (email or ""),
                action=action,
                target=target,
                commune=commune,
            )
        )
        await self._session.flush()

    async def audit_log(
        self, communes: Sequence[str] | None, limit: int, before: int | None = None
    ) -> list[AuditEntry]:
        """The newest audit lines, optionally only those about ``communes``."""
        query = select(StaffAuditRow).order_by(StaffAuditRow.id.desc()).limit(limit)
        if communes is not None:
            query = query.where(StaffAuditRow.commune.in_(communes))
        if before is not None:
            query = query.where(StaffAuditRow.id < before)
        rows = await self._session.scalars(query)
        return [AuditEntry(r.id, r.at, r.staff_email, r.action, r.target, r.commune) for r in rows]

    async def _row_by_email(self, email: str) -> StaffRow | None:
        return await self._session.scalar(select(StaffRow).where(StaffRow.email == email))
