"""Ratings: after a finished checklist or a filed dossier, one tap says whether it helped.

The tap is the rating; a comment is optional and comes after it, typed as the next message
or skipped. Staff read both in the console's analytics.
"""

from __future__ import annotations

import hashlib

from dialogs.context import Turn
from dialogs.flows import menu
from dialogs.messages import Button, Reply
from dialogs.step import RateHelp
from dialogs.text import AGREEMENT, small_talk
from knowledge.text import fold

SUBJECTS = {"c": "checklist", "d": "dossier"}
"""What can be rated, by the one letter its buttons carry."""

_RATED = {
    **AGREEMENT,
    **dict.fromkeys(("huu ich", "co ich", "co giup", "helpful"), True),
    **dict.fromkeys(("khong huu ich", "chua co ich", "khong giup", "not helpful"), False),
}
"""Answers to "Did this help you?" typed in words: yes or no, as to every question that asks."""

MAX_COMMENT_CHARS = 500
"""A comment is kept up to this length: enough for a sentence or two of what went wrong."""


def prompt(turn: Turn, subject: str, procedure: str | None) -> Reply:
    """Ask for a rating of ``subject`` ("c" or "d") with two one-tap buttons, 👍 and 👎."""
    _ = turn.t.gettext
    turn.state["rate"] = {"s": subject, "p": procedure}
    return Reply(
        _("Did this help you? One tap tells us."),
        (
            Button(_("👍 Helpful"), f"rt:{subject}:1"),
            Button(_("👎 Not helpful"), f"rt:{subject}:0"),
        ),
    )


def typed(turn: Turn, text: str, offered: list[dict[str, str]]) -> list[Reply] | None:
    """ "có" or "không" typed when the rating's buttons were the last ones shown answers as
    they do; it was searched as a procedure's name. Elsewhere the words are not a rating."""
    good = _RATED.get(fold(text).strip(" .!?"))
    asked = turn.state.get("rate")
    if good is None or not isinstance(asked, dict):
        return None
    subject = str(asked.get("s"))
    if {b.get("p") for b in offered} != {f"rt:{subject}:1", f"rt:{subject}:0"}:
        return None
    return rate(turn, [subject, "1" if good else "0"])


def rate(turn: Turn, args: list[str]) -> list[Reply] | None:
    """A rating button: record the rating at once, then offer to add a comment."""
    asked = turn.state.get("rate")
    if len(args) != 2 or args[1] not in ("0", "1") or not isinstance(asked, dict):
        return None
    if asked.get("s") != args[0] or args[0] not in SUBJECTS or "k" in asked:
        return None
    _ = turn.t.gettext
    procedure = asked.get("p") if isinstance(asked.get("p"), str) else None
    seed = f"{turn.message.ref.key}|{turn.deps.clock.now().isoformat()}|{args[0]}"
    asked["k"] = hashlib.sha256(seed.encode()).hexdigest()[:32]
    asked["g"] = args[1] == "1"
    turn.effects.append(RateHelp(asked["k"], SUBJECTS[args[0]], procedure, asked["g"]))
    turn.set_step("rate:comment")
    return [
        Reply(
            _("Thank you! If you like, type a comment for the staff, or tap “Skip”."),
            (Button(_("Skip"), "rt:skip"), menu.menu_button(turn)),
        )
    ]


def comment(turn: Turn, text: str) -> list[Reply] | None:
    """The comment typed after a rating, added to it. "thôi", "không" or "ok" comment on
    nothing: they are the skip, and were kept for staff as comments."""
    if small_talk(text) is not None:
        return skip(turn, [])
    asked = turn.state.pop("rate", None)
    if not isinstance(asked, dict) or not isinstance(asked.get("k"), str):
        return None
    procedure = asked.get("p") if isinstance(asked.get("p"), str) else None
    turn.effects.append(
        RateHelp(
            asked["k"],
            SUBJECTS.get(str(asked.get("s")), "checklist"),
            procedure,
            bool(asked.get("g")),
            text.strip()[:MAX_COMMENT_CHARS],
        )
    )
    return _thanks(turn)


def skip(turn: Turn, _args: list[str]) -> list[Reply] | None:
    """No comment: the rating stands as tapped (it was thanked as a comment staff would read)."""
    if turn.state.pop("rate", None) is None:
        return None
    return _thanks(turn, turn.t.gettext("Thank you: your rating is kept."))


def _thanks(turn: Turn, text: str | None = None) -> list[Reply]:
    turn.set_step("menu")
    said = text or turn.t.gettext("Thank you, the staff will read it.")
    return [Reply(said, (menu.menu_button(turn),))]
