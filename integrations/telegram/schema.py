"""The fields of a webhook update that motcua keeps, checked before PTB builds an ``Update``.

PTB trusts the Bot API and converts types loosely; a forged or broken body could carry a NUL
in a text (which PostgreSQL refuses), a date no ``datetime`` holds, or an id too long to store.
Checked here, such a body is refused with 400 before it is queued; the fields motcua does not
keep pass through to PTB unchanged.
"""

from __future__ import annotations

from typing import Annotated, Any

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


class _User(Lenient):
    id: TelegramId
    is_bot: bool
    first_name: PlatformText
    language_code: _LanguageCode | None = None


class _Chat(Lenient):
    id: TelegramId
    type: str


class _PhotoSize(Lenient):
    file_id: PlatformId
    file_size: _FileSize | None = None


class _Document(Lenient):
    file_id: PlatformId
    file_name: PlatformText | None = None
    file_size: _FileSize | None = None


class _Message(Lenient):
    message_id: TelegramId
    date: EpochSeconds
    chat: _Chat
    from_: _User | None = Field(default=None, alias="from")
    text: PlatformText | None = None
    caption: PlatformText | None = None
    photo: tuple[_PhotoSize, ...] | None = None
    document: _Document | None = None


class _CallbackQuery(Lenient):
    id: PlatformId
    from_: _User = Field(alias="from")
    data: Payload | None = None


class TelegramUpdate(Lenient):
    """An update as the webhook accepts it: ``update_id`` and the kinds motcua answers."""

    update_id: Annotated[int, Field(ge=0, lt=2**53)]
    message: _Message | None = None
    callback_query: _CallbackQuery | None = None


def checked_update(body: bytes) -> dict[str, Any]:
    """The update's JSON object with its kept fields checked and their texts cleaned.

    Raises:
        integrations.http_input.Refused: the body is not JSON or a kept field is wrong.
    """
    return validate(TelegramUpdate, body).model_dump(by_alias=True, exclude_unset=True)
