"""JSON serialised once: a value its caller has serialised already is stored as that text.

A turn's new conversation state is serialised to check, before anything is written, that it is
JSON at all (``bot.dispatcher``); the same text is what the database gets, instead of the
engine's serialising the state a second time when it binds it (``json_serializer``).
"""

from __future__ import annotations

import json
from typing import Any


class JsonText(str):
    """A JSON value already serialised (``json.dumps``'s text), stored as it is."""

    __slots__ = ()


def serialise(value: Any) -> str:
    """The engines' ``json_serializer``: a ``JsonText`` as it is, anything else as
    ``json.dumps`` (SQLAlchemy's own default) writes it."""
    return value if isinstance(value, JsonText) else json.dumps(value)
