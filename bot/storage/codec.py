"""Replies to and from JSON, for the reminder outbox and the message log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from dialogs.messages import Button, Reply


def buttons_to_json(buttons: Iterable[Button]) -> list[dict[str, Any]]:
    """Buttons as plain JSON objects (only the fields that are set)."""
    out = []
    for button in buttons:
        item: dict[str, Any] = {"label": button.label}
        if button.payload is not None:
            item["payload"] = button.payload
        if button.url is not None:
            item["url"] = button.url
        out.append(item)
    return out


def buttons_from_json(data: Sequence[dict[str, Any]] | None) -> tuple[Button, ...]:
    """The inverse of :func:`buttons_to_json`."""
    return tuple(
        Button(label=item["label"], payload=item.get("payload"), url=item.get("url"))
        for item in data or ()
    )


def replies_to_json(replies: Iterable[Reply]) -> list[dict[str, Any]]:
    """Replies as plain JSON objects (marked spans only where there are some)."""
    out = []
    for reply in replies:
        item: dict[str, Any] = {"text": reply.text, "buttons": buttons_to_json(reply.buttons)}
        if reply.strong:
            item["strong"] = [list(span) for span in reply.strong]
        out.append(item)
    return out


def replies_from_json(data: Sequence[dict[str, Any]]) -> tuple[Reply, ...]:
    """The inverse of :func:`replies_to_json`; replies kept before marks existed have none."""
    return tuple(
        Reply(
            text=item["text"],
            buttons=buttons_from_json(item.get("buttons")),
            strong=tuple((start, end) for start, end in item.get("strong", ())),
        )
        for item in data
    )
