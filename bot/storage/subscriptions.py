"""Which commune a citizen chose, and so whose announcements reach them.

One subscription per citizen: an app linked to a person shares it with the person's other
apps (choosing on one replaces what another chose), and announcements go to the app it was
last chosen on. ``commune_of`` is what the rest of motcua asks ("which commune is this
conversation's?"), for announcements, staff hand-offs and local information.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, Select, bindparam, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.identity import SqlIdentities, on_citizens_apps, person_of_app
from bot.storage.sql import rowcount
from bot.storage.tables import SubscriptionRow
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
        """The commune the citizen behind ``ref`` chose, on this app or a linked one, as the
        statement that opens a turn reads it (``commune_of_app``): one definition for both."""
        code = await self._session.scalar(
            _COMMUNE_OF, {"channel": ref.channel, "user_id": ref.user_id}
        )
        return None if code is None else commune(code)


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


_COMMUNE_OF = _commune_of(bindparam("channel"), bindparam("user_id"))
"""``commune_of``'s statement, built once."""


async def commune_of(session: AsyncSession, ref: ConversationRef) -> Commune | None:
    """The commune this conversation's citizen chose, or None."""
    return await SqlSubscriptions(session).commune_of(ref)
