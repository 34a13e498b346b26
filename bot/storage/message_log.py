"""Every message in and out, so a conversation can be shown again (web chat history).

What users type is personal data, kept only for the retention period
(``MOTCUA_MESSAGE_LOG_DAYS``): ``bot.personal_data`` exports, erases and purges it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.codec import buttons_from_json, buttons_to_json
from bot.storage.direct import Direct
from bot.storage.sql import table
from bot.storage.tables import MessageLogRow
from dialogs.messages import Button, ConversationRef, IncomingMessage, Reply, Span

_INSERT = Direct(
    insert(table(MessageLogRow)),
    keys=("at", "direction", "channel", "user_id", "text", "payload", "buttons", "strong"),
)
"""The table's INSERT, built once: every turn runs it, on the driver's connection."""


class Direction(StrEnum):
    """Who spoke."""

    IN = "in"  # the user
    OUT = "out"  # motcua


@dataclass(frozen=True, slots=True)
class LoggedMessage:
    """One logged message; ``buttons`` only on outgoing ones."""

    id: int
    at: datetime
    direction: Direction
    text: str | None
    payload: str | None
    buttons: tuple[Button, ...]
    strong: tuple[Span, ...] = ()


def pressed_labels(logged: Sequence[LoggedMessage]) -> dict[int, str]:
    """The label of each logged button press, by the press's id: the button with its payload
    among the replies since the user's last message. A press that matches no button offered
    just before it (a forged or stale one) was nothing the user did on screen: it has none."""
    labels: dict[int, str] = {}
    offered: list[Button] = []
    for message in logged:
        if message.direction is Direction.OUT:
            offered.extend(message.buttons)
            continue
        if message.text is None:
            label = next(
                (b.label for b in offered if b.payload and b.payload == message.payload), None
            )
            if label is None:
                continue
            labels[message.id] = label
        offered = []
    return labels


class SqlMessageLog:
    """The ``message_log`` table, within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record_turn(
        self,
        ref: ConversationRef,
        said: IncomingMessage | None,
        replies: Sequence[Reply],
        at: datetime,
    ) -> None:
        """Log a turn in one statement: what the user typed or tapped (None when motcua spoke
        first, e.g. a reminder), then what motcua answered, buttons included."""
        await self.record_turns([(ref, said, replies)], at)

    async def record_turns(
        self,
        turns: Iterable[tuple[ConversationRef, IncomingMessage | None, Sequence[Reply]]],
        at: datetime,
    ) -> None:
        """Log several turns, each as ``record_turn`` does, in one statement for them all."""
        rows = []
        for ref, said, replies in turns:
            if said is not None:
                rows.append(_row(ref, Direction.IN, at, said.text, said.payload))
            rows += _reply_rows(ref, replies, at)
        if rows:
            # One call to the driver for all rows (``bot.storage.direct``).
            await _INSERT.execute_many(self._session, rows)

    async def record_incoming(self, message: IncomingMessage, at: datetime) -> None:
        """Log what the user typed or tapped."""
        await self.record_turn(message.ref, message, (), at)

    async def record_replies(
        self, ref: ConversationRef, replies: Sequence[Reply], at: datetime
    ) -> None:
        """Log what motcua answered, buttons included."""
        await self.record_turn(ref, None, replies, at)

    async def record_sent(
        self, sent: Iterable[tuple[ConversationRef, Sequence[Reply]]], at: datetime
    ) -> None:
        """Log what motcua sent into many conversations (a batch of one announcement), in one
        statement."""
        await self.record_turns(((ref, None, replies) for ref, replies in sent), at)

    async def history(self, ref: ConversationRef, limit: int = 100) -> list[LoggedMessage]:
        """The last ``limit`` messages of a conversation, oldest first."""
        rows = await self._session.scalars(
            select(MessageLogRow)
            .where(MessageLogRow.channel == ref.channel, MessageLogRow.user_id == ref.user_id)
            .order_by(MessageLogRow.id.desc())
            .limit(limit)
        )
        return [
            LoggedMessage(
                id=row.id,
                at=row.at,
                direction=Direction(row.direction),
                text=row.text,
                payload=row.payload,
                buttons=buttons_from_json(row.buttons),
                strong=tuple((start, end) for start, end in row.strong or ()),
            )
            for row in reversed(rows.all())
        ]


def _reply_rows(
    ref: ConversationRef, replies: Sequence[Reply], at: datetime
) -> list[dict[str, Any]]:
    return [
        _row(
            ref,
            Direction.OUT,
            at,
            r.text,
            None,
            buttons_to_json(r.buttons) or None,
            [list(span) for span in r.strong] or None,
        )
        for r in replies
    ]


def _row(
    ref: ConversationRef,
    direction: Direction,
    at: datetime,
    text: str | None,
    payload: str | None,
    buttons: list[dict[str, Any]] | None = None,
    strong: list[list[int]] | None = None,
) -> dict[str, Any]:
    return {
        "at": at,
        "direction": direction.value,
        "channel": ref.channel,
        "user_id": ref.user_id,
        "text": text,
        "payload": payload,
        "buttons": buttons,
        "strong": strong,
    }
