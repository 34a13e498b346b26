"""Users and their conversation state, saved with an optimistic version check.

A user on one app has a conversation of their own; once they link apps (see
``bot.storage.identity``) every linked app shares the person's conversation instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.direct import Direct
from bot.storage.identity import person_of_app
from bot.storage.json_text import JsonText
from bot.storage.reminders import any_held
from bot.storage.sql import (
    dialect,
    dialect_insert,
    per_dialect,
    per_row,
    per_row_batch,
    per_row_keys,
    rowcount,
    table,
)
from bot.storage.subscriptions import commune_of_app
from bot.storage.tables import LOCALE_LEN, ConversationRow, PersonConversationRow, UserRow
from bot.storage.volunteers import standing_of_app
from dialogs.errors import StaleConversation
from dialogs.messages import ConversationRef
from dialogs.step import Membership
from knowledge.communes.units import Commune, commune

_USERS = table(UserRow)
_CONVERSATIONS = table(ConversationRow)
"""The tables themselves, for the statements every turn runs (see ``bot.storage.sql.table``)."""

# Named in full: a RETURNING clause is not correlated, and would read ``users`` once more.
_USER_PK: ColumnElement[int] = literal_column(f"{UserRow.__tablename__}.{UserRow.id.name}")
_CHANNEL: ColumnElement[str] = literal_column(f"{UserRow.__tablename__}.{UserRow.channel.name}")
_USER_ID: ColumnElement[str] = literal_column(f"{UserRow.__tablename__}.{UserRow.user_id.name}")
_STATE = (
    select(_CONVERSATIONS.c.state).where(_CONVERSATIONS.c.user_pk == _USER_PK).scalar_subquery()
)
_VERSION = (
    select(_CONVERSATIONS.c.version).where(_CONVERSATIONS.c.user_pk == _USER_PK).scalar_subquery()
)
"""The state and version of the user's own conversation, read with the user's row."""


def _upsert(insert: Any) -> Any:
    """``open_all``'s statement: the users' rows touched (created on first contact), read back
    with all a turn needs before the dialog runs, so that a returning user's turn reads with
    this one statement: their conversation, whether reminders are held for the app, the person
    it is linked to, the commune chosen and the standing in the volunteers' group."""
    statement = insert(_USERS)
    return statement.on_conflict_do_update(
        index_elements=["channel", "user_id"],
        set_={
            "last_seen_at": statement.excluded.last_seen_at,
            "locale": func.coalesce(statement.excluded.locale, _USERS.c.locale),
        },
    ).returning(
        _USERS.c.id,
        _USERS.c.channel,
        _USERS.c.user_id,
        _USERS.c.locale,
        _STATE,
        _VERSION,
        any_held(_CHANNEL, _USER_ID),
        person_of_app(_CHANNEL, _USER_ID),
        commune_of_app(_CHANNEL, _USER_ID),
        standing_of_app(_CHANNEL, _USER_ID),
    )


_UPSERTS = per_dialect(_upsert)
_UPSERT_ONE = per_dialect(
    lambda insert: Direct(
        _upsert(insert), keys=("channel", "user_id", "locale", "created_at", "last_seen_at")
    )
)
"""A turn's own upsert, one user's row, on the driver's connection (``bot.storage.direct``);
a batch's rows go as one multi-row statement through SQLAlchemy instead."""
_SAVE = Direct(
    update(_CONVERSATIONS)
    .where(
        _CONVERSATIONS.c.user_pk
        == select(_USERS.c.id)
        .where(_USERS.c.channel == bindparam("channel"), _USERS.c.user_id == bindparam("user_id"))
        .scalar_subquery(),
        _CONVERSATIONS.c.version == bindparam("loaded"),
    )
    .values(
        state=bindparam("new_state"), version=bindparam("new_version"), updated_at=bindparam("at")
    )
)
"""``save``'s statement, built once: every turn runs it, on the driver's connection."""
_NEW_CONVERSATIONS = per_dialect(
    lambda insert: insert(_CONVERSATIONS).on_conflict_do_nothing(index_elements=["user_pk"])
)
"""The empty conversations of users seen for the first time (see ``open_all``)."""


@lru_cache(maxsize=128)
def _save_all(size: int) -> Any:
    """``save_all``'s statement for ``size`` conversations, built once per size: each row's
    loaded version and new state picked by ``CASE user_pk`` (``per_row``)."""
    pk, version = _CONVERSATIONS.c.user_pk, _CONVERSATIONS.c.version
    return (
        update(_CONVERSATIONS)
        .where(per_row_keys(pk, size), version == per_row(pk, version, size))
        .values(
            state=per_row(pk, _CONVERSATIONS.c.state, size),
            version=version + 1,
            updated_at=bindparam("at"),
        )
        .returning(pk)
    )


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """A conversation as loaded: its state and the version a save must match."""

    ref: ConversationRef
    state: dict[str, Any]
    version: int
    locale: str | None  # the platform's language code last seen for this user
    person_id: int | None = None  # set when this is the conversation a person's apps share
    held_reminders: bool = False  # reminders wait for this app's next message (when opened)
    user_pk: int | None = None  # the app's own row, when loaded by ``open``
    # Read with the conversation by ``open``, as of the turn's start:
    linked_person: int | None = None  # the person the app is linked to
    commune: Commune | None = None  # the commune the citizen chose (on any of their apps)
    membership: Membership | None = None  # their standing in the volunteers' group


class SqlConversations:
    """Conversation state in the ``users`` and ``conversations`` tables, within one session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open(
        self, ref: ConversationRef, now: datetime, locale: str | None = None
    ) -> StoredConversation:
        """Load a conversation, creating the user and an empty state on first contact.

        Also records when the user was last seen and the platform's language code, if given
        (cut to the column's size: a platform's odd value must not cost the user their turn).
        """
        return (await self.open_all([(ref, locale)], now))[ref.key]

    async def open_all(
        self, opening: Sequence[tuple[ConversationRef, str | None]], now: datetime
    ) -> dict[str, StoredConversation]:
        """Ref key -> its conversation, as ``open`` (each ref with its platform's language
        code), for different apps at once: one statement for the lot, two when some are new."""
        if not opening:
            return {}
        rows = [
            {
                "channel": ref.channel,
                "user_id": ref.user_id,
                "locale": locale[:LOCALE_LEN] if locale else None,
                "created_at": now,
                "last_seen_at": now,
            }
            for ref, locale in {ref.key: (ref, locale) for ref, locale in opening}.values()
        ]
        refs = {ref.key: ref for ref, _ in opening}
        opened: dict[str, StoredConversation] = {}
        new: list[dict[str, Any]] = []
        name = dialect(self._session)
        found = (
            await _UPSERT_ONE[name].fetch(self._session, rows[0])
            if len(rows) == 1
            else (await self._session.execute(_UPSERTS[name], rows)).all()
        )
        for pk, channel, user_id, locale, state, version, held, person, code, status in found:
            key = ConversationRef(channel, user_id).key
            if version is None:
                new.append({"user_pk": pk, "state": {}, "version": 0, "updated_at": now})
            opened[key] = StoredConversation(
                refs[key],
                dict(state) if version is not None else {},
                version if version is not None else 0,
                locale,
                held_reminders=bool(held),
                user_pk=pk,
                linked_person=person,
                commune=None if code is None else commune(code),
                membership=None if status is None else Membership(status),
            )
        if new:
            # Should another turn create one first, saving over version 0 fails as stale and
            # the turn runs again on what that one stored.
            await self._session.execute(_NEW_CONVERSATIONS[dialect(self._session)], new)
        return opened

    async def load(self, ref: ConversationRef) -> StoredConversation | None:
        """A conversation without touching it, or None for a user never seen."""
        row = (
            await self._session.execute(
                select(ConversationRow.state, ConversationRow.version, UserRow.locale)
                .join(UserRow, UserRow.id == ConversationRow.user_pk)
                .where(UserRow.channel == ref.channel, UserRow.user_id == ref.user_id)
            )
        ).one_or_none()
        if row is None:
            return None
        return StoredConversation(ref, dict(row.state), row.version, row.locale)

    async def save(
        self, ref: ConversationRef, state: Mapping[str, Any] | JsonText, version: int, now: datetime
    ) -> int:
        """Store a new state if nobody saved since ``version`` was loaded; returns the new version.

        ``state`` may come serialised already (``JsonText``): it is stored as that text.

        Raises:
            StaleConversation: the stored version is no longer ``version``.
        """
        saved = await _SAVE.execute(
            self._session,
            {
                "channel": ref.channel,
                "user_id": ref.user_id,
                "loaded": version,
                "new_state": _bound(state),
                "new_version": version + 1,
                "at": now,
            },
        )
        if saved != 1:
            raise StaleConversation(f"conversation changed since version {version}")
        return version + 1

    async def open_shared(
        self, own: StoredConversation, person_id: int, now: datetime
    ) -> StoredConversation:
        """The conversation a person's linked apps share, reached from one app's ``own``.

        Created empty on first use; the caller merges what the app had on its own into it.
        """
        await self._session.execute(
            dialect_insert(self._session, PersonConversationRow)
            .values(person_id=person_id, state={}, version=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["person_id"])
        )
        state, version = (
            await self._session.execute(
                select(PersonConversationRow.state, PersonConversationRow.version).where(
                    PersonConversationRow.person_id == person_id
                )
            )
        ).one()
        return replace(own, state=dict(state), version=version, person_id=person_id)

    async def save_all(
        self, saves: Sequence[tuple[StoredConversation, Mapping[str, Any]]], now: datetime
    ) -> None:
        """Save over several apps' own conversations (loaded by ``open_all``) with one
        statement, each only if nobody saved it since it was loaded.

        Raises:
            StaleConversation: one of them changed since; nothing is to be kept.
        """
        if not saves:
            return
        pks = [stored.user_pk for stored, _ in saves]
        if None in pks or any(stored.person_id is not None for stored, _ in saves):
            raise ValueError("save_all saves apps' own conversations, as open_all loads them")
        statement, values = per_row_batch(
            _save_all,
            pks,
            version=[stored.version for stored, _ in saves],
            state=[dict(state) for _, state in saves],
        )
        result = await self._session.scalars(statement, {"at": now, **values})
        if len(set(result)) != len(set(pks)):
            raise StaleConversation("a conversation changed since it was loaded")

    async def save_stored(
        self, stored: StoredConversation, state: Mapping[str, Any] | JsonText, now: datetime
    ) -> int:
        """Save over a loaded conversation, the person's shared one or the app's own (``state``
        serialised already, or not, as for ``save``).

        Raises:
            StaleConversation: somebody saved it since it was loaded.
        """
        if stored.person_id is None:
            return await self.save(stored.ref, state, stored.version, now)
        result = await self._session.execute(
            update(PersonConversationRow)
            .where(
                PersonConversationRow.person_id == stored.person_id,
                PersonConversationRow.version == stored.version,
            )
            .values(state=_bound(state), version=stored.version + 1, updated_at=now)
        )
        if rowcount(result) != 1:
            raise StaleConversation(f"conversation changed since version {stored.version}")
        return stored.version + 1


def _bound(state: Mapping[str, Any] | JsonText) -> dict[str, Any] | JsonText:
    """A state as a statement binds it: serialised text as it is, a mapping as a plain dict."""
    return state if isinstance(state, JsonText) else dict(state)
