"""Which commune a citizen chose, and so whose announcements reach them.

One subscription per citizen: an app linked to a person shares it with the person's other
apps (choosing on one replaces what another chose), and announcements go to the app it was
last chosen on. ``commune_of`` is what the rest of motcua asks ("which commune is this
conversation's?"), for announcements, staff hand-offs and local information.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    ScalarSelect,
    Select,
    delete,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.identity import (
    SqlIdentities,
    asked,
    asked_apps,
    on_citizens_apps,
    person_of_app,
    rows_on_citizens_apps,
)
from bot.storage.sql import rowcount
from bot.storage.tables import IdentityLinkRow, SubscriptionRow
from dialogs.messages import ConversationRef
from knowledge.communes.units import Commune, commune


class SqlSubscriptions:
    """Citizens' chosen communes, within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def choose(self, ref: ConversationRef, code: int, now: datetime) -> Commune:
        """Subscribe the citizen behind ``ref`` to a commune, replacing any earlier choice.

        Raises ``ValueError`` for a code that is no unit in force.
        """
        unit = commune(code)
        if unit is None:
            raise ValueError(f"no commune has the code {code}")
        person = await SqlIdentities(self._session).person_of(ref)
        created = await self._session.scalar(
            select(SubscriptionRow.created_at).where(_owned(ref.channel, ref.user_id))
        )
        await self.end(ref)
        self._session.add(
            SubscriptionRow(
                channel=ref.channel,
                user_id=ref.user_id,
                person_id=person,
                commune_code=unit.code,
                province_code=unit.province_code,
                created_at=created or now,
                updated_at=now,
            )
        )
        await self._session.flush()
        return unit

    async def end(self, ref: ConversationRef) -> bool:
        """Unsubscribe the citizen behind ``ref`` (on every linked app); False if they were not."""
        result = await self._session.execute(
            delete(SubscriptionRow).where(_owned(ref.channel, ref.user_id))
        )
        return rowcount(result) > 0

    async def commune_of(self, ref: ConversationRef) -> Commune | None:
        """The commune the citizen behind ``ref`` chose, on this app or a linked one: it is
        asked on nearly every turn (the local desk shown with answers, the commune of each
        question noted)."""
        return (await self.communes_of([ref]))[ref.key]

    async def communes_of(self, refs: Sequence[ConversationRef]) -> dict[str, Commune | None]:
        """Ref key -> the commune each citizen chose, as ``commune_of``, with one statement
        for them all, built once: a burst of notices reads them together."""
        unique = {(ref.channel, ref.user_id): ref.key for ref in refs}
        if not unique:
            return {}
        found: dict[str, list[tuple[datetime, int]]] = {key: [] for key in unique.values()}
        for channel, user_id, code, updated_at in await self._session.execute(
            _CHOICES, asked(refs)
        ):
            found[unique[channel, user_id]].append((updated_at, code))
        return {key: commune(max(rows)[1]) if rows else None for key, rows in found.items()}


def _owned(
    channel: str | ColumnElement[str], user_id: str | ColumnElement[str]
) -> ColumnElement[bool]:
    """The rows of the citizen on (``channel``, ``user_id``): this app's, and, when it is linked
    to a person, the person's and every linked app's (the links are read in the same
    statement)."""
    return or_(
        on_citizens_apps(SubscriptionRow.channel, SubscriptionRow.user_id, channel, user_id),
        SubscriptionRow.person_id == person_of_app(channel, user_id),
    )


def _commune_of(
    channel: str | ColumnElement[str], user_id: str | ColumnElement[str]
) -> Select[int]:
    """The citizen's latest commune choice, on this app or a linked one."""
    return (
        select(SubscriptionRow.commune_code)
        .where(_owned(channel, user_id))
        .order_by(SubscriptionRow.updated_at.desc())
        .limit(1)
    )


def commune_of_app(channel: ColumnElement[str], user_id: ColumnElement[str]) -> ScalarSelect[int]:
    """The code of the commune chosen on the app (``channel``, ``user_id``) or one linked to
    it, as a subquery: read with the statement that opens the conversation, every turn."""
    return _commune_of(channel, user_id).scalar_subquery()


def _choices() -> CompoundSelect:
    """The subscription rows of the asked apps (``asked_apps``): each app's own, its linked
    apps', and its person's, led by the app they were found for (``communes_of`` takes the
    latest)."""
    columns = (SubscriptionRow.commune_code, SubscriptionRow.updated_at)
    mine = aliased(IdentityLinkRow)
    persons = select(mine.channel, mine.user_id, *columns).where(
        asked_apps(mine.channel, mine.user_id), SubscriptionRow.person_id == mine.person_id
    )
    return union_all(
        *rows_on_citizens_apps(SubscriptionRow.channel, SubscriptionRow.user_id, *columns),
        persons,
    )


_CHOICES = _choices()
"""``communes_of``'s statement, built once: it runs on nearly every turn."""


async def commune_of(session: AsyncSession, ref: ConversationRef) -> Commune | None:
    """The commune this conversation's citizen chose, or None."""
    return await SqlSubscriptions(session).commune_of(ref)
