"""Every table that holds personal data, and how to export, erase and purge what it holds.

Decree 13/2023/NĐ-CP and the Personal Data Protection Law (Law 91/2025/QH15) give a citizen
the right to get a copy of the data kept about them and to have it deleted, and allow keeping
it only as long as it serves its purpose. This registry is the one place that knows where that
data lives: ``motcua user export`` and ``motcua user delete``, the chat's "delete my data" and
the hourly retention purge all go through it. A table missing from it would silently escape
all three, so a test fails when a table is neither registered here nor listed in
:data:`FREE_OF_PERSONAL_DATA`.

A citizen is found by one (channel, user id); when that app is linked to a person, every app
of the person is included.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, delete, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.storage.database import Database
from bot.storage.identity import SqlIdentities
from bot.storage.inbox import FINISHED
from bot.storage.reminders import ReminderStatus
from bot.storage.sql import rowcount
from bot.storage.tables import (
    AnnouncementDeliveryRow,
    Base,
    ConsentRequestRow,
    ConversationRow,
    DossierAuditRow,
    DossierRow,
    HandoffRow,
    IdentityLinkRow,
    InboxRow,
    LinkAttemptRow,
    LinkCodeRow,
    LookupFailureRow,
    MessageLogRow,
    PaperRow,
    PersonConversationRow,
    PersonRow,
    RatingRow,
    ReminderRow,
    SecretRow,
    SubscriptionRow,
    UnansweredRow,
    UnreachableUserRow,
    UserRow,
    VolunteerRow,
)
from dialogs.messages import ConversationRef
from integrations.messenger.webhook import CHANNEL as MESSENGER
from integrations.messenger.window import KEY_PREFIX as MESSENGER_WINDOW_KEY

logger = logging.getLogger(__name__)

PURGE_BATCH = 1000
"""Rows deleted per transaction by the purge: a large backlog never holds locks for long."""


@dataclass(frozen=True, slots=True)
class Subject:
    """Whose data: every (channel, user id) of one citizen, and their person when linked."""

    refs: tuple[ConversationRef, ...]
    person_id: int | None


class Period(StrEnum):
    """Which retention period applies to a table."""

    MESSAGES = "messages"  # MOTCUA_MESSAGE_LOG_DAYS: what was said, kept to show it again
    PERSONAL = "personal"  # MOTCUA_RETENTION_DAYS: everything else about a citizen


@dataclass(frozen=True, slots=True)
class Retention:
    """How long personal data is kept after it was last used."""

    personal: timedelta
    messages: timedelta

    @classmethod
    def of(cls, settings: Settings) -> Retention:
        """The periods ``settings`` configure."""
        return cls(
            personal=timedelta(days=settings.retention_days),
            messages=timedelta(days=settings.message_log_days),
        )

    def cutoff(self, period: Period, now: datetime) -> datetime:
        """Rows of ``period`` older than this are expired."""
        return now - (self.messages if period is Period.MESSAGES else self.personal)


@dataclass(frozen=True, slots=True)
class PersonalTable:
    """One table's personal data: whose rows are whose, and which rows have expired."""

    model: type[Base]
    holds: str
    """What the rows say about a citizen (shown in the export)."""
    owned_by: Callable[[Subject], ColumnElement[bool]]
    expired: Callable[[datetime], ColumnElement[bool]]
    """Rows no longer needed at a cutoff: unused since before it."""
    period: Period = Period.PERSONAL
    omit: tuple[str, ...] = ()
    """Columns left out of an export (keyed hashes that mean nothing to the citizen)."""

    @property
    def table(self) -> Table:
        """The table itself."""
        return cast(Table, self.model.__table__)

    @property
    def name(self) -> str:
        """The table's name."""
        return self.table.name


def _app_unused_since(channel: Any, user_id: Any, before: datetime) -> ColumnElement[bool]:
    """No message from this app since ``before``: a row tied to an app the citizen still uses
    is kept however old it is."""
    return ~exists().where(
        UserRow.channel == channel, UserRow.user_id == user_id, UserRow.last_seen_at >= before
    )


def _of_refs(channel: Any, user_id: Any) -> Callable[[Subject], ColumnElement[bool]]:
    def owned(subject: Subject) -> ColumnElement[bool]:
        if not subject.refs:
            return false()
        return or_(*(and_(channel == r.channel, user_id == r.user_id) for r in subject.refs))

    return owned


def _of_person(column: Any) -> Callable[[Subject], ColumnElement[bool]]:
    def owned(subject: Subject) -> ColumnElement[bool]:
        return false() if subject.person_id is None else column == subject.person_id

    return owned


def _messenger_windows(subject: Subject) -> ColumnElement[bool]:
    keys = [MESSENGER_WINDOW_KEY + r.user_id for r in subject.refs if r.channel == MESSENGER]
    return SecretRow.key.in_(keys) if keys else false()


_of_users = _of_refs(UserRow.channel, UserRow.user_id)

REGISTRY: tuple[PersonalTable, ...] = (
    # Ordered so that erasing and purging never remove a row another entry still looks up.
    PersonalTable(
        MessageLogRow,
        "every message the citizen sent and every answer, to show the conversation again",
        _of_refs(MessageLogRow.channel, MessageLogRow.user_id),
        lambda before: MessageLogRow.at < before,
        Period.MESSAGES,
    ),
    PersonalTable(
        InboxRow,
        "messages as received from the chat apps and their answers, until they are answered "
        "and sent (then kept two days, to recognise a platform's redelivery)",
        _of_refs(InboxRow.channel, InboxRow.user_id),
        # Pending messages are kept however old: they are still to be answered.
        lambda before: and_(InboxRow.updated_at < before, InboxRow.status.in_(FINISHED)),
        Period.MESSAGES,
    ),
    PersonalTable(
        ReminderRow,
        "reminders the citizen asked for, with their text",
        _of_refs(ReminderRow.channel, ReminderRow.user_id),
        # Reminders still to be delivered are kept however old the request.
        lambda before: and_(
            ReminderRow.updated_at < before,
            ReminderRow.status.in_(
                [ReminderStatus.DONE, ReminderStatus.FAILED, ReminderStatus.HELD]
            ),
        ),
    ),
    PersonalTable(
        HandoffRow,
        "each time the citizen asked to talk to staff: their commune, when, and when it ended",
        _of_refs(HandoffRow.channel, HandoffRow.user_id),
        # A conversation still open with the staff is kept however old.
        lambda before: and_(HandoffRow.updated_at < before, HandoffRow.status == "closed"),
    ),
    PersonalTable(
        DossierAuditRow,
        "what the citizen did on someone else's behalf (filing, following a dossier)",
        _of_refs(DossierAuditRow.channel, DossierAuditRow.user_id),
        lambda before: DossierAuditRow.at < before,
    ),
    PersonalTable(
        PaperRow,
        "photos and PDFs of papers the citizen sent for a dossier (name, type, size; the file "
        "itself is left out of the export): deleted as soon as the portal has them, and when "
        "never sent, after the message-log period",
        _of_refs(PaperRow.channel, PaperRow.user_id),
        lambda before: PaperRow.updated_at < before,
        Period.MESSAGES,
        omit=("data",),
    ),
    PersonalTable(
        DossierRow,
        "dossiers filed from the chat (or for the citizen by a volunteer): the applicant's "
        "details, the answers, the consent, the portal's code and status",
        lambda subject: or_(
            _of_refs(DossierRow.channel, DossierRow.user_id)(subject),
            _of_refs(DossierRow.helped_channel, DossierRow.helped_user_id)(subject),
        ),
        # A dossier still being followed is kept: only finished ones expire.
        lambda before: and_(
            DossierRow.updated_at < before,
            or_(
                DossierRow.state == "rejected",
                DossierRow.status.in_(
                    ["not_accepted", "returned", "refused", "withdrawn", "stopped"]
                ),
            ),
        ),
    ),
    PersonalTable(
        ConsentRequestRow,
        "a volunteer's request that a person consent, on their own app, to a filing for them: "
        "the person's name, the relationship, and who agreed when (only a keyed hash of the "
        "code)",
        lambda subject: or_(
            _of_refs(ConsentRequestRow.volunteer_channel, ConsentRequestRow.volunteer_user_id)(
                subject
            ),
            _of_refs(ConsentRequestRow.person_channel, ConsentRequestRow.person_user_id)(subject),
        ),
        lambda before: ConsentRequestRow.expires_at < before,
        omit=("code_hash",),
    ),
    PersonalTable(
        VolunteerRow,
        "the citizen's request to join the community digital-technology group (name, commune, "
        "phone) and the coordinator's decision",
        _of_refs(VolunteerRow.channel, VolunteerRow.user_id),
        # A member is kept while they still use the app; a request refused, revoked or never
        # decided goes after the period.
        lambda before: and_(
            VolunteerRow.updated_at < before,
            or_(
                VolunteerRow.status != "approved",
                _app_unused_since(VolunteerRow.channel, VolunteerRow.user_id, before),
            ),
        ),
    ),
    PersonalTable(
        LookupFailureRow,
        "wrong ID numbers typed lately to look a dossier up (to stop guessing)",
        lambda subject: and_(
            LookupFailureRow.kind == "identity",
            LookupFailureRow.key.in_([r.key for r in subject.refs]),
        ),
        lambda before: LookupFailureRow.window_started_at < before,
    ),
    PersonalTable(
        ConversationRow,
        "where the citizen is in a conversation on one app (checklist answers, notes)",
        lambda subject: ConversationRow.user_pk.in_(select(UserRow.id).where(_of_users(subject))),
        lambda before: ConversationRow.updated_at < before,
    ),
    PersonalTable(
        UserRow,
        "the app's user id, its language, when the citizen first and last wrote",
        _of_users,
        lambda before: UserRow.last_seen_at < before,
    ),
    PersonalTable(
        LinkAttemptRow,
        "wrong link codes typed lately (to stop guessing)",
        _of_refs(LinkAttemptRow.channel, LinkAttemptRow.user_id),
        lambda before: LinkAttemptRow.window_started_at < before,
    ),
    PersonalTable(
        SecretRow,
        "when the citizen last wrote on Messenger (its 24-hour messaging window)",
        _messenger_windows,
        lambda before: and_(
            SecretRow.key.startswith(MESSENGER_WINDOW_KEY), SecretRow.updated_at < before
        ),
    ),
    PersonalTable(
        UnreachableUserRow,
        "that the citizen blocked the bot on an app, so reminders are not sent there",
        _of_refs(UnreachableUserRow.channel, UnreachableUserRow.user_id),
        lambda before: UnreachableUserRow.since < before,
    ),
    PersonalTable(
        SubscriptionRow,
        "the commune whose announcements the citizen chose to receive, and on which app",
        _of_refs(SubscriptionRow.channel, SubscriptionRow.user_id),
        # Kept while the citizen still uses the app it goes to.
        lambda before: and_(
            SubscriptionRow.updated_at < before,
            _app_unused_since(SubscriptionRow.channel, SubscriptionRow.user_id, before),
        ),
    ),
    PersonalTable(
        AnnouncementDeliveryRow,
        "which commune announcements were sent to the citizen's app, and whether they arrived",
        _of_refs(AnnouncementDeliveryRow.channel, AnnouncementDeliveryRow.user_id),
        # Sending takes hours at most: a row untouched for the whole period is of no more use.
        lambda before: AnnouncementDeliveryRow.updated_at < before,
    ),
    PersonalTable(
        LinkCodeRow,
        "one-time codes made to link another app (only a keyed hash of each)",
        _of_person(LinkCodeRow.person_id),
        lambda before: LinkCodeRow.expires_at < before,
        omit=("code_hash",),
    ),
    PersonalTable(
        PersonConversationRow,
        "the conversation the citizen's linked apps share (checklist answers)",
        _of_person(PersonConversationRow.person_id),
        lambda before: PersonConversationRow.updated_at < before,
    ),
    PersonalTable(
        IdentityLinkRow,
        "which apps (channel and user id) belong to the same citizen",
        _of_refs(IdentityLinkRow.channel, IdentityLinkRow.user_id),
        # An app the citizen still uses keeps its link, however old.
        lambda before: and_(
            IdentityLinkRow.linked_at < before,
            _app_unused_since(IdentityLinkRow.channel, IdentityLinkRow.user_id, before),
        ),
    ),
    PersonalTable(
        PersonRow,
        "the citizen as one person across apps",
        _of_person(PersonRow.id),
        lambda before: and_(
            PersonRow.created_at < before,
            ~exists().where(IdentityLinkRow.person_id == PersonRow.id),
        ),
    ),
)

UNNAMED: tuple[PersonalTable, ...] = (
    PersonalTable(
        UnansweredRow,
        "questions the assistant could not answer, in the asker's words, for staff to review",
        lambda _subject: false(),
        lambda before: UnansweredRow.at < before,
        Period.MESSAGES,
    ),
    PersonalTable(
        RatingRow,
        "one-tap ratings of a checklist or a filed dossier, with their comments",
        lambda _subject: false(),
        lambda before: RatingRow.at < before,
    ),
)
"""Tables of what citizens typed kept without who typed it: no export or erasure can find a
citizen's rows there (nothing ties a row to them), so the words are only kept for their
retention period, and purged with the rest."""

FREE_OF_PERSONAL_DATA: dict[str, str] = {
    "link_guesses": "one counter of wrong link codes typed by anyone",
    "button_payloads": "the dialogs' own button payloads (menu choices, procedure codes)",
    "questions": "how each question went (channel, commune, outcome, procedure), no words",
    "milestones": "checklists opened and finished (channel, commune, procedure), no one named",
    "lessons": "phrasings staff chose to teach the assistant, and which staff member did",
    "staff": "console accounts of staff (not citizens), deleted by an admin",
    "staff_sessions": "signed-in staff sessions, a hash of each token; they expire",
    "staff_audit": "what staff did in the console, naming records, never a citizen",
    "commune_info": "each commune's one-stop address, hours and notes, public information",
    "knowledge_versions": "knowledge bases built from the portal's public procedure data",
    "knowledge_sources": "the portal's public procedure data files staff uploaded",
    "announcements": "what staff announced to communes, and which staff member did",
    "announcement_targets": "the communes each announcement was for",
}
"""Tables that hold nothing about a citizen, and why (``secrets`` is registered for the
Messenger windows among its rows; its other rows are platform credentials)."""


async def subject_of(session: AsyncSession, ref: ConversationRef) -> Subject:
    """The citizen behind ``ref``: all their linked apps, or just this one."""
    identities = SqlIdentities(session)
    person = await identities.person_of(ref)
    if person is None:
        return Subject((ref,), None)
    refs = await identities.refs_of(person)
    return Subject(tuple(refs) if ref in refs else (ref, *refs), person)


async def export(session: AsyncSession, ref: ConversationRef) -> dict[str, Any]:
    """Everything kept about the citizen behind ``ref``, as JSON-ready data."""
    subject = await subject_of(session, ref)
    tables: dict[str, list[dict[str, Any]]] = {}
    for entry in REGISTRY:
        columns = [c for c in entry.table.columns if c.name not in entry.omit]
        rows = await session.execute(select(*columns).where(entry.owned_by(subject)))
        tables[entry.name] = [
            {name: _json_value(value) for name, value in row._mapping.items()} for row in rows
        ]
    return {
        "identities": [{"channel": r.channel, "user_id": r.user_id} for r in subject.refs],
        "tables": tables,
        "what_each_table_holds": {entry.name: entry.holds for entry in REGISTRY},
    }


async def erase(session: AsyncSession, ref: ConversationRef) -> dict[str, int]:
    """Delete everything kept about the citizen behind ``ref``; rows deleted per table."""
    subject = await subject_of(session, ref)
    removed: dict[str, int] = {}
    for entry in REGISTRY:
        result = await session.execute(delete(entry.table).where(entry.owned_by(subject)))
        removed[entry.name] = rowcount(result)
    # The erasure is recorded (the law asks for it), naming nobody: the request id ties it to
    # the request that asked.
    logger.info(
        "personal data erased on request: %d rows, %d apps",
        sum(removed.values()),
        len(subject.refs),
    )
    return removed


async def purge(
    database: Database, now: datetime, retention: Retention, batch: int = PURGE_BATCH
) -> dict[str, int]:
    """Delete every expired row of every registered table; rows deleted per table.

    Tables with a one-column key are purged ``batch`` rows per transaction, so conversations
    carry on while a large backlog goes.
    """
    removed: dict[str, int] = {}
    for entry in (*REGISTRY, *UNNAMED):
        expired = entry.expired(retention.cutoff(entry.period, now))
        removed[entry.name] = 0
        while True:
            async with database.transaction() as session:
                deleted = await _delete_some(session, entry.table, expired, batch)
            removed[entry.name] += deleted
            if deleted < batch:
                break
    return removed


async def _delete_some(
    session: AsyncSession, table: Table, where: ColumnElement[bool], batch: int
) -> int:
    key: Sequence[Any] = list(table.primary_key.columns)
    if len(key) != 1:  # small per-citizen tables: all at once
        return rowcount(await session.execute(delete(table).where(where)))
    oldest = select(key[0]).where(where).limit(batch).scalar_subquery()
    return rowcount(await session.execute(delete(table).where(key[0].in_(oldest))))


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
