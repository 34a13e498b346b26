"""The database schema as SQLAlchemy 2 declarative models (only repositories touch these rows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.types import UtcDateTime

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY, PostgreSQL wants room to grow.
BigId = BigInteger().with_variant(Integer(), "sqlite")

CHANNEL_LEN = 32
USER_ID_LEN = 255
LOCALE_LEN = 16


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class UserRow(Base):
    """A user as one platform knows them: (channel, platform user id)."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("channel", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    locale: Mapped[str | None] = mapped_column(String(LOCALE_LEN))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ConversationRow(Base):
    """A user's dialog state, with a version bumped on every save (optimistic concurrency)."""

    __tablename__ = "conversations"

    user_pk: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(Json)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class InboxRow(Base):
    """A message a platform handed over, kept until its turn is committed and its replies sent.

    The unique (channel, message id) is also the deduplication key: a redelivery finds its row.
    ``status`` goes pending -> answered (the turn committed, replies kept) -> done (replies
    sent); a worker works on a row while it holds the lease (``owner``, ``lease_until``).
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "message_id"),
        # The oldest open message of each conversation is taken first.
        Index("ix_inbox_channel_user_id_id", "channel", "user_id", "id"),
        # The open messages alone, oldest first: the claim's order, without a day of done ones
        # (see ``bot.storage.inbox.is_open``, whose words it must be).
        Index(
            "ix_inbox_open",
            "id",
            sqlite_where=text("status IN ('pending', 'answered')"),
            postgresql_where=text("status IN ('pending', 'answered')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    message_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    message: Mapped[dict[str, Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    # Platform messages of the replies the platform accepted, so a send refused part way
    # goes on from the first one it refused (``integrations.progress``).
    sent: Mapped[int] = mapped_column(Integer, server_default="0")
    accepted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class ReminderRow(Base):
    """A proactive message due later: an outbox row, so it survives restarts."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_status_due_at", "status", "due_at"),
        # Every citizen's message looks up their held reminders.
        Index("ix_reminders_channel_user_id_status", "channel", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replies: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    last_error: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    facts: Mapped[dict[str, Any] | None] = mapped_column(Json)
    """For a notice motcua raised itself (a portal receipt, a status change): what it says."""


class MessageLogRow(Base):
    """One message in or out, kept so a conversation can be shown again (web chat history)."""

    __tablename__ = "message_log"
    __table_args__ = (Index("ix_message_log_channel_user_id_id", "channel", "user_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Indexed for the retention purge, which deletes by age.
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    direction: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    text: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)
    buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(Json)
    strong: Mapped[list[list[int]] | None] = mapped_column(Json)
    """What a reply marked as mattering most (``Reply.strong``), so the web chat shows it bold
    when it draws the conversation again."""


class SecretRow(Base):
    """A platform secret that must survive restarts (e.g. Zalo's rotating refresh token)."""

    __tablename__ = "secrets"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PersonRow(Base):
    """One citizen, who may reach us on several channels."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PersonConversationRow(Base):
    """The dialog state every linked app of a person shares, versioned like ``conversations``.

    Data about a citizen rather than about one app (their checklists now; subscriptions and
    dossiers later) belongs with the person, so every app they link sees it.
    """

    __tablename__ = "person_conversations"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[dict[str, Any]] = mapped_column(Json)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdentityLinkRow(Base):
    """One (channel, user id) belonging to a person."""

    __tablename__ = "identity_links"

    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"), index=True)
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LinkCodeRow(Base):
    """A one-time code to link another channel to a person; only its keyed hash is stored."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    wrong_before: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """``link_guesses.wrong`` when the code was made: the code dies once wrong codes typed
    anywhere since then reach ``bot.storage.codes.MAX_WRONG_GUESSES``."""


class LinkGuessesRow(Base):
    """One row counting every wrong link code ever typed, by anyone, on any channel.

    A wrong guess cannot be pinned to the code it aimed at, so it counts against every live
    code: rotating identities or addresses then buys an attacker nothing.
    """

    __tablename__ = "link_guesses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wrong: Mapped[int] = mapped_column(BigInteger, default=0)


class LinkAttemptRow(Base):
    """Failed code entries by one (channel, user id) in the current window (brute-force guard)."""

    __tablename__ = "link_attempts"

    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DossierRow(Base):
    """A dossier filed from the chat: the outbox of the filing, then the portal's record of it.

    Holds personal data (the applicant's details in ``request``) for as long as the dossier is
    followed; consent to the notice is kept with it.
    """

    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    locale: Mapped[str] = mapped_column(String(LOCALE_LEN))
    procedure_code: Mapped[str] = mapped_column(String(32))
    commune: Mapped[str | None] = mapped_column(String(32), index=True)
    """The citizen's commune when they filed: its staff see the dossier in the console."""
    request: Mapped[dict[str, Any]] = mapped_column(Json)
    consent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    consent_version: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(64))
    code: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str | None] = mapped_column(String(32))
    due_date: Mapped[date | None] = mapped_column(Date)
    fee_amount: Mapped[int | None] = mapped_column(BigInteger)
    payment_url: Mapped[str | None] = mapped_column(Text)
    announced_at: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)
    overdue_told_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """When the apology for a dossier past its due date was queued (once per dossier)."""
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    helped_channel: Mapped[str | None] = mapped_column(String(CHANNEL_LEN))
    helped_user_id: Mapped[str | None] = mapped_column(String(USER_ID_LEN))
    """The chat of the person filed for, when they consented there: told every change too."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    __table_args__ = (
        Index("ix_dossiers_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_dossiers_channel_user_id", "channel", "user_id"),
        Index("ix_dossiers_helped_channel_helped_user_id", "helped_channel", "helped_user_id"),
    )


class ConsentRequestRow(Base):
    """A volunteer's request that a person consent, on their own chat, to a filing for them.

    Only the code's keyed hash is kept; the person's name and the volunteer's relationship are
    what the person is shown. A refusal deletes the row; an agreement keeps who agreed, where
    and when, until the filing is queued with it (then the audit trail keeps the consent).
    """

    __tablename__ = "consent_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), index=True)
    wrong_before: Mapped[int] = mapped_column(BigInteger)
    """``link_guesses.wrong`` when the code was made (see ``bot.storage.codes``)."""
    volunteer_channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    volunteer_user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    filing_key: Mapped[str] = mapped_column(String(64), index=True)
    procedure_code: Mapped[str] = mapped_column(String(32))
    full_name: Mapped[str] = mapped_column(String(300))
    relationship: Mapped[str] = mapped_column(String(300))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    person_channel: Mapped[str | None] = mapped_column(String(CHANNEL_LEN))
    person_user_id: Mapped[str | None] = mapped_column(String(USER_ID_LEN))
    shown_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    agreed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LookupFailureRow(Base):
    """Wrong ID numbers typed to see a dossier, per dossier code or per identity, this hour."""

    __tablename__ = "dossier_lookup_failures"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # "code" or "identity"
    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UtcDateTime)


class DossierAuditRow(Base):
    """One action taken on someone else's behalf (a volunteer filing or following a dossier)."""

    __tablename__ = "dossier_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    action: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class UnreachableUserRow(Base):
    """Someone who blocked the bot (or whose chat is gone): proactive sends skip them.

    Kept here, not in one worker's memory, so every worker knows; the row goes as soon as the
    person writes again or unblocks the bot.
    """

    __tablename__ = "unreachable_users"

    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN), primary_key=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime)


class ButtonPayloadRow(Base):
    """A button payload too long for a platform, under the short token sent instead.

    The token is a hash of the payload, so a row never changes and any worker can resolve a
    button another worker sent. Payloads are the dialogs' own (menu choices, checklist steps
    with a procedure code), never anything a citizen typed, and their number is bounded by
    the procedures and their steps, so rows are not purged.
    """

    __tablename__ = "button_payloads"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


COMMUNE_LEN = 64
PROCEDURE_LEN = 64


class QuestionRow(Base):
    """One question a citizen asked and how it went, for the analytics (no text, no identity)."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    commune: Mapped[str | None] = mapped_column(String(COMMUNE_LEN))
    outcome: Mapped[str] = mapped_column(String(16))
    procedure: Mapped[str | None] = mapped_column(String(PROCEDURE_LEN))


class UnansweredRow(Base):
    """A question the assistant could not answer, with its words, for staff to review.

    Only the text is kept, never who asked: staff need the phrasing, not the person.
    """

    __tablename__ = "unanswered"
    __table_args__ = (Index("ix_unanswered_reviewed_at_at", "reviewed_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    commune: Mapped[str | None] = mapped_column(String(COMMUNE_LEN))
    outcome: Mapped[str] = mapped_column(String(16))
    procedure: Mapped[str | None] = mapped_column(String(PROCEDURE_LEN))
    text: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lesson_id: Mapped[int | None] = mapped_column(Integer)


class LessonRow(Base):
    """A phrasing staff taught: it means this procedure, or it is out of scope with a reply."""

    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(512), unique=True)
    phrase: Mapped[str] = mapped_column(Text)
    procedure: Mapped[str | None] = mapped_column(String(PROCEDURE_LEN), index=True)
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str | None] = mapped_column(String(255))


class RatingRow(Base):
    """A citizen's one-tap rating of a checklist or a filed dossier, and their comment."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    commune: Mapped[str | None] = mapped_column(String(COMMUNE_LEN))
    subject: Mapped[str] = mapped_column(String(16))
    procedure: Mapped[str | None] = mapped_column(String(PROCEDURE_LEN))
    good: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)


class MilestoneRow(Base):
    """A step of the checklist funnel reached (opened, every paper ticked), for the analytics."""

    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    commune: Mapped[str | None] = mapped_column(String(COMMUNE_LEN))
    kind: Mapped[str] = mapped_column(String(32))
    procedure: Mapped[str] = mapped_column(String(PROCEDURE_LEN))


class PaperRow(Base):
    """A photo or PDF a citizen sent for a dossier, checked and kept until the portal has it.

    ``source`` (channel and platform message id) makes fetching a file again, when its turn is
    retried, keep it once. ``dossier_key`` is set when the file goes with a dossier (at filing
    or in answer to ``supplement_required``); the dossier sender attaches it, then deletes it.
    """

    __tablename__ = "papers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    source: Mapped[str | None] = mapped_column(String(CHANNEL_LEN + USER_ID_LEN + 1), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    dossier_key: Mapped[str | None] = mapped_column(String(64), index=True)
    document_name: Mapped[str | None] = mapped_column(String(300))
    sending_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    """While a dossier sender attaches it; another may take it over after that."""
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    __table_args__ = (Index("ix_papers_channel_user_id", "channel", "user_id"),)


class SubscriptionRow(Base):
    """A citizen's chosen commune, whose announcements are sent to the app it was chosen on.

    One per citizen: when the app belongs to a person, choosing on any of the person's apps
    replaces what another of them chose (``person_id`` finds it). Codes are the General
    Statistics Office's (``knowledge.communes``).
    """

    __tablename__ = "commune_subscriptions"

    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN), primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("persons.id", ondelete="CASCADE"), index=True
    )
    commune_code: Mapped[int] = mapped_column(Integer, index=True)
    province_code: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StaffRow(Base):
    """A console account: an admin, a commune's staff member or a volunteer coordinator.

    Only the argon2 hash of the password is kept. ``communes`` are the commune codes a staff
    member serves (an admin serves every commune); ``failed_logins`` and ``locked_until`` are
    the lockout after repeated wrong passwords.
    """

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))
    communes: Mapped[list[str]] = mapped_column(Json)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class VolunteerRow(Base):
    """A citizen's request to join the community digital-technology group, and its decision.

    One per app: asking again after a refusal or a revocation puts the same row back to
    ``pending``. Only an ``approved`` member may file a dossier on someone else's behalf.
    ``decided_by`` copies the coordinator's e-mail, as the audit log does.
    """

    __tablename__ = "volunteers"
    __table_args__ = (UniqueConstraint("channel", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    full_name: Mapped[str] = mapped_column(String(300))
    commune_code: Mapped[int] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(254))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class StaffSessionRow(Base):
    """A signed-in console session, server-side so a deleted account's cookie stops at once.

    The cookie carries a random token; only its SHA-256 is kept, with the form (CSRF) token.
    """

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class StaffAuditRow(Base):
    """One staff action, appended and never changed: who did what to which record, and when.

    The staff member's e-mail is copied so the line still says who after the account is gone;
    ``target`` names a record (``handoff:12``, ``commune:00001``), never a citizen.
    """

    __tablename__ = "staff_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    staff_id: Mapped[int | None] = mapped_column(Integer)
    staff_email: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str | None] = mapped_column(String(128))
    commune: Mapped[str | None] = mapped_column(String(32))


class HandoffRow(Base):
    """A citizen's conversation handed to the staff of their commune.

    ``status`` goes waiting -> claimed (one staff member answers) -> closed; a claimed one may
    be released back to waiting. While it is open the assistant stays quiet in the conversation.
    """

    __tablename__ = "handoffs"
    __table_args__ = (
        Index("ix_handoffs_status_commune", "status", "commune"),
        Index("ix_handoffs_channel_user_id_status", "channel", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    commune: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_answer_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class CommuneInfoRow(Base):
    """What staff tell about their commune's one-stop desk; the assistant adds it to answers.

    ``days`` are ISO weekday digits (``"12345"``: Monday to Friday), ``opens``/``closes`` are
    ``HH:MM`` in Vietnam's time: when a person can answer a handed-over conversation.
    """

    __tablename__ = "commune_info"

    commune: Mapped[str] = mapped_column(String(32), primary_key=True)
    address: Mapped[str] = mapped_column(Text, default="")
    phone: Mapped[str] = mapped_column(String(64), default="")
    days: Mapped[str] = mapped_column(String(7))
    opens: Mapped[str] = mapped_column(String(5))
    closes: Mapped[str] = mapped_column(String(5))
    map_url: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class KnowledgeVersionRow(Base):
    """A knowledge base rebuilt from portal data staff uploaded in the console.

    ``state`` goes importing -> staged (or failed) -> in_force (or discarded); the version in
    force before is then ``replaced``. ``data`` is the built knowledge base (the file format of
    ``knowledge.store``); every worker serves the one in force. ``summary`` is the diff against
    the knowledge base served when it was built, shown before it is put in force.
    """

    __tablename__ = "knowledge_versions"
    __table_args__ = (
        # At most one version in force, whatever two staff members do at the same moment.
        Index(
            "uq_knowledge_versions_in_force",
            "state",
            unique=True,
            sqlite_where=text("state = 'in_force'"),
            postgresql_where=text("state = 'in_force'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    uploaded: Mapped[list[str]] = mapped_column(Json)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    applied_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    summary: Mapped[dict[str, Any] | None] = mapped_column(Json)
    error: Mapped[str | None] = mapped_column(Text)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)


class KnowledgeSourceRow(Base):
    """A portal data file a knowledge version was built from, beside the shipped ones.

    A version keeps every file uploaded up to it (a file replaces the one of the same name),
    so the next upload rebuilds from the same sources plus the new file.
    """

    __tablename__ = "knowledge_sources"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_versions.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class AnnouncementRow(Base):
    """A commune announcement: what staff (or a script) wrote, for whom, and when it goes out.

    ``state`` goes scheduled -> sending (fanned out to its deliveries) -> done, or scheduled ->
    cancelled. The picture is kept in the row: it is at most ``bot.announcements.compose``'s
    limit (1 MB), read once per sending round rather than per citizen, and so shares the
    database's transactions and backups instead of needing a file store every worker reaches.
    ``provinces`` only says how the target was chosen; the communes themselves are
    ``announcement_targets`` rows, a whole province expanded into its communes.
    """

    __tablename__ = "announcements"
    __table_args__ = (Index("ix_announcements_state_send_at", "state", "send_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    author: Mapped[str] = mapped_column(String(254))
    author_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    text_vi: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    image_type: Mapped[str | None] = mapped_column(String(32))
    link: Mapped[str | None] = mapped_column(Text)
    provinces: Mapped[list[int]] = mapped_column(Json)
    send_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AnnouncementTargetRow(Base):
    """One commune an announcement is for (GSO code, as in ``commune_subscriptions``)."""

    __tablename__ = "announcement_targets"

    announcement_id: Mapped[int] = mapped_column(
        ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True
    )
    commune_code: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)


class AnnouncementDeliveryRow(Base):
    """One announcement to one subscriber's app: the unit that is claimed, sent and counted.

    Unique per (announcement, channel, user id), so fanning out twice adds nothing. ``state``
    is queued -> sent, or failed, unreachable (the platform's window is closed) or blocked;
    ``claimed_by`` and ``claimed_at`` are the lease of the worker sending it (one claim token
    per round), ``due_at`` the next attempt.
    """

    __tablename__ = "announcement_deliveries"
    __table_args__ = (
        UniqueConstraint("announcement_id", "channel", "user_id"),
        # Only the queued rows, in the claim's order: ``SqlDeliveries.claim`` names the same
        # predicate, as a literal, so both databases can use it (migration 0024 says why).
        Index(
            "ix_announcement_deliveries_queued",
            "channel",
            "due_at",
            sqlite_where=text("state = 'queued'"),
            postgresql_where=text("state = 'queued'"),
        ),
        Index("ix_announcement_deliveries_channel_user_id", "channel", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    announcement_id: Mapped[int] = mapped_column(ForeignKey("announcements.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(CHANNEL_LEN))
    user_id: Mapped[str] = mapped_column(String(USER_ID_LEN))
    commune_code: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str | None] = mapped_column(String(LOCALE_LEN))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
