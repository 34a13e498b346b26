"""Phone-sized replies: a reply longer than a screen shows its start, the rest behind "More".

Every reply of every turn passes through :func:`paginate`, so the rule holds on every channel.
The rest of the text waits in the state with the reply's own buttons; each "More" shows the
next part, with the same buttons, and another "More" while text is left. The payload names the
text it belongs to, so an older "More" never continues a newer answer.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from dialogs.context import Turn
from dialogs.messages import Button, Reply
from dialogs.pages import PAGE_CHARS, marks_within, split_spans


def paginate(turn: Turn, replies: Sequence[Reply]) -> list[Reply]:
    """The replies with each at most :data:`PAGE_CHARS` long; only the last long one continues.

    A long reply before another long one is shown as consecutive bubbles (it is rare: a notice
    and a card); the last long reply gets the "More" button and keeps its rest in the state.
    """
    long = [index for index, reply in enumerate(replies) if len(reply.text) > PAGE_CHARS]
    if not long:
        if not (turn.message.payload or "").startswith("more:"):
            turn.state.pop("more", None)  # the citizen moved on: the kept text is not carried
        return list(replies)
    shown: list[Reply] = []
    for index, reply in enumerate(replies):
        if index not in long:
            shown.append(reply)
            continue
        spans = split_spans(reply.text, PAGE_CHARS)
        parts = [reply.text[start:end] for start, end in spans]
        strong = [marks_within(reply.strong, start, end) for start, end in spans]
        if index != long[-1]:
            shown.extend(Reply(part, (), marks) for part, marks in zip(parts, strong, strict=True))
            shown[-1] = Reply(parts[-1], reply.buttons, strong[-1])
            continue
        key = f"{zlib.crc32(reply.text.encode()):08x}"
        turn.state["more"] = {
            "key": key,
            "parts": parts,
            "strong": [[list(mark) for mark in marks] for marks in strong],
            "buttons": [
                {"l": b.label, "p": b.payload} if b.payload else {"l": b.label, "u": b.url or ""}
                for b in reply.buttons
            ],
        }
        shown.append(_part(turn, 0))
    return shown


def more(turn: Turn, args: list[str]) -> list[Reply] | None:
    """ "more:<key>:<part>": the next part of the last long reply; None when it is not that."""
    kept = turn.state.get("more")
    if len(args) != 2 or not args[1].isdigit() or not isinstance(kept, dict):
        return None
    parts = kept.get("parts")
    if kept.get("key") != args[0] or not isinstance(parts, list):
        return None
    if not 1 <= int(args[1]) < len(parts):
        return None
    return [_part(turn, int(args[1]))]


def _part(turn: Turn, index: int) -> Reply:
    """One part of the kept reply: "More (2/3)" while text is left, then the reply's buttons."""
    kept = turn.state["more"]
    parts: list[str] = kept["parts"]
    buttons = [
        Button(b["l"], b.get("p")) if b.get("p") else Button(b["l"], url=b.get("u"))
        for b in kept["buttons"]
    ]
    if index + 1 < len(parts):
        label = turn.t.gettext("More ({part}/{parts})").format(part=index + 2, parts=len(parts))
        buttons.insert(0, Button(label, f"more:{kept['key']}:{index + 1}"))
    strong = kept.get("strong") or [[] for _part in parts]  # kept before marks existed
    return Reply(parts[index], tuple(buttons), tuple((s, e) for s, e in strong[index]))
