"""The edge every HTTP route shares: bounded reads, bounded JSON and clean platform fields.

Nothing a request carries reaches a handler, a queue or the database before it passed here, so
bad input is answered with a 4xx and a reason, and changes nothing:

- a body is read up to a limit set per route; beyond it the answer is 413;
- JSON is parsed by pydantic's parser (jiter), which refuses nesting deeper than a fixed
  limit instead of recursing, and refuses lone surrogates and invalid UTF-8;
- the fields a channel keeps are declared as pydantic models built from the types below: ids
  short enough for the database's columns, timestamps a ``datetime`` can hold, texts without
  the NUL character PostgreSQL refuses and capped in length.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import pydantic_core
from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError

RETRY_AFTER = "5"
"""Seconds (a ``Retry-After`` value) a platform or page is told to wait before sending again
what could not be kept (the database did not answer): it is sent again, and nothing is lost."""

MAX_REQUEST_BYTES = 1024 * 1024
"""The server-wide body limit (aiohttp's ``client_max_size``); routes set lower ones."""

MAX_ID_CHARS = 200
"""Platform ids (users, messages) are stored in 255-character columns; a suffix must still fit."""

MAX_TEXT_CHARS = 4096
"""What is kept of one platform text: every platform's own limit (Telegram's 4096 is the
highest) fits, anything longer did not come from a real client and is cut here."""

MAX_PAYLOAD_CHARS = 1000
"""Button payloads motcua issues are far shorter; Zalo's 1000 is the longest any platform allows."""

LAST_MILLISECOND = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp() * 1000)
"""Platform clocks say "now"; a time after 2100 is refused rather than carried into date sums
(adding a messaging window to year 9999 would overflow)."""

_SURROGATE = re.compile("[\ud800-\udfff]")

M = TypeVar("M", bound=BaseModel)


def clean_text(value: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``value`` as it can be stored and shown: no NUL, no lone surrogate, at most ``limit``.

    PostgreSQL refuses NUL in text and JSON columns, and a lone surrogate cannot be encoded as
    UTF-8; both are dropped or replaced instead of failing the whole message.
    """
    return _SURROGATE.sub("\ufffd", value.replace("\x00", ""))[:limit]


PlatformText = Annotated[str, AfterValidator(clean_text)]
"""Text a user wrote, cleaned and capped."""

Payload = Annotated[str, AfterValidator(lambda value: clean_text(value, MAX_PAYLOAD_CHARS))]
"""A button payload sent back by a platform, cleaned and capped."""


def no_nul(value: str) -> str:
    """``value`` unchanged; an address or id with NUL is refused, not cleaned.

    Unlike a text, an id or a file's address changed by cleaning would name something else,
    and PostgreSQL refuses NUL in the columns that keep them.
    """
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


PlatformId = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS), AfterValidator(no_nul)
]
"""A user, chat or message id as a platform writes it."""

PlatformUrl = Annotated[str, StringConstraints(max_length=MAX_TEXT_CHARS), AfterValidator(no_nul)]
"""The address a platform gives for a file a user sent."""

EpochMillis = Annotated[int, Field(ge=0, lt=LAST_MILLISECOND)]
"""A platform timestamp in milliseconds (Messenger's numbers, Zalo's digit strings)."""

EpochSeconds = Annotated[int, Field(ge=0, lt=LAST_MILLISECOND // 1000)]
"""A platform timestamp in seconds (Telegram's ``date``)."""


class Lenient(BaseModel):
    """A platform object: the fields motcua keeps are declared and checked, others pass."""

    model_config = ConfigDict(extra="allow", frozen=True)


def from_millis(value: int) -> datetime:
    """The aware UTC time of an :data:`EpochMillis` value."""
    return datetime.fromtimestamp(value / 1000, tz=UTC)


class Refused(Exception):
    """Input a route will not take: answered with ``status`` and a JSON body saying why.

    The message names the field and the rule, never the value (it may be personal data).
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def response(self) -> web.Response:
        """The answer: ``{"error": message, "code": code}`` with the status."""
        return web.json_response({"error": self.message, "code": self.code}, status=self.status)


async def read_body(request: web.Request, limit: int) -> bytes:
    """The whole body, or ``Refused`` (413) as soon as it is longer than ``limit`` bytes.

    aiohttp enforces the limit while reading, whether or not a Content-Length was sent.
    """
    try:
        return await request.clone(client_max_size=limit).read()
    except web.HTTPRequestEntityTooLarge:
        raise Refused(
            413, "body_too_large", f"request body too large ({limit} bytes at most)"
        ) from None


def parse_json(body: bytes) -> Any:
    """The JSON value of ``body``; ``Refused`` (400) when it is not JSON motcua accepts.

    Refused: invalid UTF-8, lone surrogates, and nesting deeper than the parser's fixed limit,
    which it detects without recursing.
    """
    try:
        return pydantic_core.from_json(body, allow_inf_nan=False)
    except ValueError as exc:
        raise Refused(400, "bad_json", f"the body is not valid JSON: {exc}") from None


def validate(model: type[M], body: bytes) -> M:
    """``body`` parsed and checked against ``model``; ``Refused`` (400) says what is wrong."""
    try:
        return model.model_validate_json(body)
    except PydanticValidationError as exc:
        raise Refused(400, "invalid", describe(exc)) from None


def describe(error: PydanticValidationError) -> str:
    """The first problems of a validation error as "field: rule", without the input values."""
    problems = [
        f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
        for item in error.errors(include_url=False, include_input=False)[:3]
    ]
    return "; ".join(problems)
