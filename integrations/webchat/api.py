"""The web chat's JSON API: validating what the page sends and shaping what it gets back.

Every rejection happens before anything is stored or handled, so bad input changes nothing. It
carries a stable ``code`` for programs and a message from the catalogs for people, in the
language of the request (see :func:`answer_locale`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel import negotiate_locale

from dialogs.messages import Button, Reply
from dialogs.ports import Translator
from integrations.http_input import RETRY_AFTER, Refused, clean_text, parse_json
from integrations.webchat.history import Entry
from integrations.webchat.page import N_, PAGE_LOCALES

MAX_BODY_BYTES = 32 * 1024
MAX_TEXT_CHARS = 6000
"""A pasted letter of a few pages is taken whole, so the chat can say how much of it it read
(``dialogs.engine`` reads the first 4,000 characters); longer is refused, never cut unsaid."""
MAX_HISTORY = 200
MAX_FILE_NAME = 255

_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")
_AFTER = re.compile(r"[0-9]{1,18}")


class ApiError(Exception):
    """A request the API refuses: an HTTP status, a stable code and a message to translate.

    ``message`` is a catalog message id; ``fields`` fill its ``{placeholders}``.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **fields: str,
    ) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.fields = fields

    def body(self, translator: Translator) -> dict[str, str]:
        """The JSON body sent back, its message in the translator's language."""
        return {"error": translator.gettext(self.message).format(**self.fields), "code": self.code}


def chosen_identity() -> ApiError:
    """The refusal of a request that names its own user: identities come from the cookie."""
    return ApiError(
        403,
        "user_not_accepted",
        N_("The web chat knows you by its cookie; a 'user' chosen by the page is not accepted."),
    )


def too_many_requests(wait: int) -> ApiError:
    """The refusal of a request over a rate limit, saying when to come back."""
    return ApiError(
        429,
        "too_many_requests",
        N_("Too many messages at once. Please wait {seconds} seconds and try again."),
        headers={"Retry-After": str(wait)},
        seconds=str(wait),
    )


def not_json() -> ApiError:
    """The refusal of a body not declared as JSON."""
    return ApiError(415, "not_json", N_("Send the body as Content-Type: application/json."))


def too_large() -> ApiError:
    """The refusal of a body over :data:`MAX_BODY_BYTES`."""
    return ApiError(413, "body_too_large", N_("Request body too large (32 kB at most)."))


def unavailable() -> ApiError:
    """The answer when the service itself failed (its database away): the page may retry."""
    return ApiError(
        503,
        "unavailable",
        N_("Sorry, the service is busy. Please try again in a few minutes."),
        headers={"Retry-After": RETRY_AFTER},
    )


def answer_locale(requested: str | None, accept_language: str | None) -> str:
    """The language to answer in: the body's ``locale``, else the browser's, else the default.

    Only languages the page offers count; Babel matches each tag to them (``en-GB`` is ``en``),
    taking the browser's in its order of preference.
    """
    preferred = [requested or "", *_accepted(accept_language)]
    tags = [tag.replace("_", "-") for tag in preferred if tag]
    found = negotiate_locale(tags, PAGE_LOCALES, sep="-")
    return found.split("-")[0].lower() if found else PAGE_LOCALES[0]


def _accepted(header: str | None) -> list[str]:
    """An Accept-Language header's tags by weight (Babel matches tags but does not rank them).

    ``q=0`` means "not this one", and an unreadable weight counts as that.
    """
    weighted: list[tuple[float, str]] = []
    for item in (header or "").split(","):
        tag, _, weight = item.partition(";q=")
        try:
            q = float(weight) if weight else 1.0
        except ValueError:
            q = 0.0
        if tag.strip() and q > 0:
            weighted.append((q, tag.strip()))
    return [tag for _q, tag in sorted(weighted, key=lambda pair: -pair[0])]


def body_locale(raw: bytes) -> str | None:
    """The ``locale`` a chat body asks for, read even when the rest of the body is refused."""
    try:
        data = parse_json(raw)
    except Refused:
        return None
    locale = data.get("locale") if isinstance(data, dict) else None
    return locale if isinstance(locale, str) else None


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One valid message from the page: typed text or a pressed button's payload."""

    text: str | None
    button: str | None
    message_id: str | None
    locale: str | None


def parse_chat(raw: bytes) -> ChatRequest:
    """Validate a ``POST /api/chat`` body; raises ApiError with what is wrong.

    The JSON parser refuses deep nesting, invalid UTF-8 and lone surrogates itself.
    """
    if len(raw) > MAX_BODY_BYTES:
        raise too_large()
    try:
        data = parse_json(raw)
    except Refused:
        raise ApiError(400, "bad_json", N_("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", N_("The body must be a JSON object."))
    if "user" in data:
        raise chosen_identity()
    text, button = data.get("text"), data.get("button")
    if (text is None) == (button is None):
        raise ApiError(400, "text_or_button", N_("Send exactly one of 'text' or 'button'."))
    value = text if text is not None else button
    if not isinstance(value, str):
        raise ApiError(400, "bad_type", N_("'text' and 'button' must be strings."))
    if len(value) > MAX_TEXT_CHARS:
        raise ApiError(
            413,
            "text_too_long",
            N_("Your message is too long: please send at most {limit} characters."),
            limit=str(MAX_TEXT_CHARS),
        )
    value = clean_text(value, MAX_TEXT_CHARS)
    if not value.strip():
        raise ApiError(400, "empty", N_("The message is empty."))
    return ChatRequest(
        text=value if text is not None else None,
        button=value if button is not None else None,
        message_id=_optional(data, "id", _MESSAGE_ID),
        locale=_optional(data, "locale", _LOCALE),
    )


@dataclass(frozen=True, slots=True)
class UploadRequest:
    """A valid ``POST /api/chat/file`` query: the file's name, the page's id and language."""

    name: str
    message_id: str | None
    locale: str | None


def parse_upload(query: Mapping[str, str]) -> UploadRequest:
    """Validate the query of a file upload (its body is the file itself)."""
    if "user" in query:
        raise chosen_identity()
    name = clean_text(query.get("name", "")).strip()
    if len(name) > MAX_FILE_NAME:
        raise ApiError(400, "bad_name", N_("Invalid '{field}' field."), field="name")
    return UploadRequest(
        name=name,
        message_id=_optional(dict(query), "id", _MESSAGE_ID),
        locale=_optional(dict(query), "locale", _LOCALE),
    )


def parse_after(value: str | None) -> int:
    """The history cursor: a non-negative sequence number, 0 when absent."""
    if value is None or value == "":
        return 0
    if not _AFTER.fullmatch(value):
        raise ApiError(400, "bad_after", N_("'after' must be a whole number."))
    return int(value)


def _optional(data: dict[str, Any], key: str, pattern: re.Pattern[str]) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ApiError(400, f"bad_{key}", N_("Invalid '{field}' field."), field=key)
    return value


def button_json(button: Button) -> dict[str, str | None]:
    """A button as the page renders it."""
    return {"label": button.label, "payload": button.payload, "url": button.url}


def reply_json(reply: Reply) -> dict[str, Any]:
    """A reply as the API returns it: text, buttons and the spans to show bold."""
    return {
        "text": reply.text,
        "buttons": [button_json(b) for b in reply.buttons],
        "strong": [list(span) for span in reply.strong],
    }


def entry_json(entry: Entry) -> dict[str, Any]:
    """A transcript entry as the page renders it, with its sequence number."""
    return {
        "seq": entry.seq,
        "role": entry.role,
        "text": entry.text,
        "buttons": [button_json(b) for b in entry.buttons],
        "strong": [list(span) for span in entry.strong],
    }
