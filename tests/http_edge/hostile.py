"""Hypothesis strategies for hostile requests: each route's real shape with any field replaced
by any JSON value, bodies spliced with deep nesting, broken encodings and stray bytes.

Text includes what broke motcua before: lone surrogates, NUL, digits ``str.isdigit`` accepts
but ``int`` does not, and numbers no ``datetime`` holds.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st
from support.papers import EXE, JPEG, PDF

NEST = "\x01nest\x01"
"""A string a body strategy replaces with deeply nested arrays once serialised."""

characters = st.one_of(
    st.characters(exclude_categories=()),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    st.sampled_from(["\x00", "²", "٣", "\ufeff", "\u202e", '"', "\\", "#"]),
)
texts = st.one_of(
    st.text(characters, max_size=30),
    st.sampled_from(["", " ", "\x00", "\ud800", "²", "9" * 25, "menu", "/start", NEST]),
)
integers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**53, 2**63, 10**20, 1795507140000, 9999999999999999]),
)
scalars = st.one_of(
    st.none(), st.booleans(), integers, st.floats(allow_nan=True, allow_infinity=True), texts
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(texts, children, max_size=3)
    ),
    max_leaves=8,
)


def either(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Nineteen times in twenty the valid value, else any JSON value at all."""
    return st.integers(0, 19).flatmap(lambda n: json_values if n == 0 else valid)


def shaped(fields: Mapping[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with the route's fields: mostly all present, else each one perhaps missing;
    any of them perhaps of another kind."""
    mixed = {key: either(value) for key, value in fields.items()}
    return st.integers(0, 3).flatmap(
        lambda n: (
            st.fixed_dictionaries({}, optional=mixed) if n == 0 else st.fixed_dictionaries(mixed)
        )
    )


@st.composite
def encoded(draw: st.DrawFn, value: st.SearchStrategy[Any]) -> bytes:
    """A JSON body for ``value``, then perhaps spliced, truncated or replaced by raw bytes."""
    document = draw(value)
    kind = draw(st.sampled_from(["json"] * 6 + ["ascii"] * 3 + ["nested", "cut", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    text = json.dumps(document, ensure_ascii=kind == "ascii")
    body = text.encode("utf-8", "surrogatepass")  # a lone surrogate becomes invalid UTF-8
    depth = draw(st.integers(min_value=1, max_value=20_000)) if kind == "nested" else 1
    body = body.replace(
        json.dumps(NEST).encode(), b"[" * depth + b"]" * depth
    )  # NEST is only ever a whole string
    if kind == "cut" and body:
        body = body[: draw(st.integers(min_value=0, max_value=len(body) - 1))]
    return body


def zalo_timestamp(body: bytes) -> str | None:
    """The timestamp Zalo would sign this body with: its ``timestamp`` field as text."""
    try:
        event = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return str(event.get("timestamp", "")) if isinstance(event, dict) else None


def query(params: st.SearchStrategy[dict[str, str]]) -> st.SearchStrategy[str]:
    """A query string: the parameters percent-encoded, or raw text sent as it is."""
    encoded_params = params.map(
        lambda found: "&".join(
            f"{quote(key.encode('utf-8', 'surrogatepass'))}="
            f"{quote(value.encode('utf-8', 'surrogatepass'))}"
            for key, value in found.items()
        )
    )
    raw = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40)
    return st.one_of(encoded_params, encoded_params, raw)


web_users = st.sampled_from(["edge-user-0001", "edge-user-0002", "x" * 64])


def sometimes_naming_a_user(
    request: st.SearchStrategy[dict[str, Any]],
) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly the request as the page sends it (its identity is the session's cookie, which
    the fuzzed edge was issued), once in twenty naming a ``user`` of its own (refused, 403)."""
    return st.integers(0, 19).flatmap(
        lambda n: (
            st.tuples(request, either(web_users)).map(lambda pair: {**pair[0], "user": pair[1]})
            if n == 0
            else request
        )
    )


chat_fields = {
    "id": st.text("abc123-_", min_size=1, max_size=10),
    "locale": st.sampled_from(["vi", "en", "en-US"]),
}
chat_texts = st.one_of(
    st.sampled_from(["dang ky khai sinh", "menu", "lam cccd", "1", "co", "khong"]), texts
)
chat_buttons = st.one_of(st.sampled_from(["menu", "proc:1.001193", "lk:get"]), texts)
chat_bodies = encoded(
    sometimes_naming_a_user(
        st.one_of(
            shaped({**chat_fields, "text": chat_texts}),
            shaped({**chat_fields, "button": chat_buttons}),
        )
    )
)
history_queries = query(
    sometimes_naming_a_user(shaped({"after": st.integers(min_value=0).map(str)})).map(
        lambda found: {key: str(value) for key, value in found.items()}
    )
)

upload_queries = query(
    sometimes_naming_a_user(
        shaped(
            {
                "name": texts,
                "id": st.sampled_from(["f1", "f2", "é", ""]),
                "locale": st.sampled_from(["vi", "en", "xx", ""]),
            }
        )
    ).map(lambda found: {key: str(value) for key, value in found.items()})
)
upload_bodies = st.one_of(
    st.binary(max_size=2000),
    st.sampled_from([JPEG, PDF, EXE]),
    st.binary(max_size=200).map(lambda tail: JPEG + tail),
)
"""A page's upload: a photo, a PDF, a renamed program or any bytes at all."""

telegram_ids = st.integers(min_value=1, max_value=10**10)
telegram_users = shaped(
    {
        "id": telegram_ids,
        "is_bot": st.just(False),
        "first_name": texts,
        "language_code": st.sampled_from(["vi", "en"]),
    }
)
telegram_messages = shaped(
    {
        "message_id": telegram_ids,
        "date": st.integers(min_value=1_700_000_000, max_value=1_900_000_000),
        "from": telegram_users,
        "chat": shaped({"id": telegram_ids, "type": st.just("private")}),
        "text": texts,
        "caption": texts,
    }
)
telegram_files = {"file_id": texts, "file_unique_id": texts, "file_size": integers}
telegram_photos = shaped({**telegram_files, "width": st.just(90), "height": st.just(90)}).map(
    lambda photo: {"photo": [photo]}
)
telegram_documents = shaped({**telegram_files, "file_name": texts}).map(
    lambda document: {"document": document}
)
telegram_bodies = encoded(
    st.one_of(
        shaped({"update_id": telegram_ids, "message": telegram_messages}),
        st.tuples(
            telegram_ids, telegram_messages, st.one_of(telegram_photos, telegram_documents)
        ).map(lambda parts: {"update_id": parts[0], "message": {**parts[1], **parts[2]}}),
        shaped(
            {
                "update_id": telegram_ids,
                "callback_query": shaped(
                    {"id": texts, "from": telegram_users, "data": texts, "chat_instance": texts}
                ),
            }
        ),
        shaped({"update_id": telegram_ids, "edited_message": telegram_messages}),
    )
)

psids = st.sampled_from(["6543210987654321", "1234567890123456"])
messenger_envelope = {
    "sender": shaped({"id": psids}),
    "recipient": shaped({"id": st.just("108112345678901")}),
    "timestamp": st.one_of(integers, st.integers(1_700_000_000_000, 1_900_000_000_000)),
}
messenger_message = shaped(
    {
        "mid": texts,
        "text": texts,
        "is_echo": st.booleans(),
        "quick_reply": shaped({"payload": texts}),
        "attachments": st.lists(
            shaped(
                {
                    "type": st.sampled_from(["image", "file", "audio", "location"]),
                    "payload": shaped({"url": texts, "sticker_id": integers}),
                }
            ),
            max_size=3,
        ),
    }
)
messenger_events = st.one_of(
    shaped({**messenger_envelope, "message": messenger_message}),
    shaped({**messenger_envelope, "postback": shaped({"mid": texts, "payload": texts})}),
    shaped(
        {
            **messenger_envelope,
            "delivery": shaped({"mids": st.lists(texts, max_size=2), "watermark": integers}),
        }
    ),
)
messenger_bodies = encoded(
    shaped(
        {
            "object": st.just("page"),
            "entry": st.lists(
                shaped(
                    {
                        "id": texts,
                        "time": integers,
                        "messaging": st.lists(messenger_events, max_size=4),
                    }
                ),
                max_size=3,
            ),
        }
    )
)
messenger_handshakes = query(
    shaped(
        {
            "hub.mode": st.just("subscribe"),
            "hub.verify_token": st.just("edge-verify-token"),
            "hub.challenge": texts,
        }
    ).map(lambda found: {key: str(value) for key, value in found.items()})
)

zalo_events = shaped(
    {
        "app_id": st.just("360846524940903967"),
        "event_name": st.sampled_from(
            [
                "user_send_text",
                "user_send_image",
                "user_send_file",
                "follow",
                "unfollow",
                "oa_send_text",
                "user_submit_info",
                "user_send_sticker",
            ]
        ),
        "timestamp": st.integers(1_700_000_000_000, 1_900_000_000_000).map(str),
        "sender": shaped({"id": st.sampled_from(["2468458835296197922", "111"])}),
        "follower": shaped({"id": st.sampled_from(["2468458835296197922", "111"])}),
        "message": shaped(
            {
                "msg_id": texts,
                "text": texts,
                "attachments": st.lists(
                    shaped({"payload": shaped({"url": texts, "name": texts, "size": integers})}),
                    max_size=2,
                ),
            }
        ),
    }
)
zalo_bodies = encoded(zalo_events)

methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
paths = st.one_of(
    st.sampled_from(
        [
            "/",
            "/healthz",
            "/static/chat.js",
            "/static/../../etc/passwd",
            "/api/chat",
            "/api/history",
            "/webhooks/telegram",
            "/webhooks/messenger",
            "/webhooks/zalo",
        ]
    ),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40).map(
        lambda tail: "/" + tail.lstrip("/")
    ),
    st.text(characters, max_size=20).map(
        lambda tail: "/" + quote(tail.encode("utf-8", "surrogatepass"))
    ),
)
