"""The fields of an update that motcua reads, checked: what the channel turns into messages.

A forged or broken webhook body could carry a NUL in a text (which PostgreSQL refuses), a date
no ``datetime`` holds, or an id too long to store. Checked here, such a body is refused with
400 before it is queued. A polled update is checked the same way (``polling``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from integrations.http_input import (
    EpochSeconds,
    Lenient,
    Payload,
    PlatformId,
    PlatformText,
    no_nul,
    validate,
)

TelegramId = Annotated[int, Field(gt=-(2**53), lt=2**53)]
"""Telegram ids have at most 52 significant bits."""

_FileSize = Annotated[int, Field(ge=0, lt=2**53)]
_LanguageCode = Annotated[str, StringConstraints(max_length=16), AfterValidator(no_nul)]
"""Kept with the message (its language), so held to the rule of a kept id."""


class User(Lenient):
    id: TelegramId
    is_bot: bool
    first_name: PlatformText
    language_code: _LanguageCode | None = None


class Chat(Lenient):
    id: TelegramId
    type: str


class _PhotoSize(Lenient):
    file_id: PlatformId
    file_size: _FileSize | None = None


class _Document(Lenient):
    file_id: PlatformId
    file_name: PlatformText | None = None
    file_size: _FileSize | None = None


class Message(Lenient):
    message_id: TelegramId
    date: EpochSeconds
    chat: Chat
    from_: User | None = Field(default=None, alias="from")
    text: PlatformText | None = None
    caption: PlatformText | None = None
    photo: tuple[_PhotoSize, ...] | None = None
    document: _Document | None = None


class _Pressed(Lenient):
    """The message a button was under (only its chat is read; it may be inaccessible)."""

    chat: Chat


class _CallbackQuery(Lenient):
    id: PlatformId
    from_: User = Field(alias="from")
    message: _Pressed | None = None
    data: Payload | None = None


class _ChatMember(Lenient):
    status: str


class _ChatMemberUpdated(Lenient):
    chat: Chat
    from_: User = Field(alias="from")
    new_chat_member: _ChatMember


class TelegramUpdate(Lenient):
    """An update as the channel accepts it: ``update_id`` and the kinds motcua answers."""

    update_id: Annotated[int, Field(ge=0, lt=2**53)]
    message: Message | None = None
    callback_query: _CallbackQuery | None = None
    my_chat_member: _ChatMemberUpdated | None = None


def checked_update(body: bytes) -> TelegramUpdate:
    """The update in a webhook's body, its fields checked and their texts cleaned.

    Raises:
        integrations.http_input.Refused: the body is not JSON or a kept field is wrong.
    """
    return validate(TelegramUpdate, body)
