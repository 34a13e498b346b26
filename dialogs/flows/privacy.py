"""Deleting a citizen's data from the chat: "xoá dữ liệu của tôi" / "delete my data".

Decree 13/2023 and Law 91/2025 give every citizen the right to have their personal data
deleted; asking for it must be as easy as asking anything else. The flow says what will go,
asks once with two plain buttons, and only a "yes" pressed right after that question asks the
dispatcher to erase (``DeleteMyData``). The erasure covers every app the citizen linked and
happens in the same transaction as the answer, which is therefore the last thing kept.
"""

from __future__ import annotations

from dialogs import state as states
from dialogs.context import Turn
from dialogs.flows import menu
from dialogs.messages import Button, Reply
from dialogs.step import DeleteMyData
from knowledge.text import fold

CONFIRM_STEP = "privacy:confirm"


def start(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """Say what deleting means and ask for a clear yes."""
    _ = turn.t.gettext
    turn.set_step(CONFIRM_STEP)
    text = _(
        "I can delete everything I keep about you, on every app you linked: our messages, "
        "your document checklists and notes, your reminders, the dossiers you filed here "
        "(the portal keeps its own record of them) and the links between your apps. "
        "This cannot be undone, and I will not remember anything we talked about.\n"
        "Delete it all?"
    )
    return [Reply(text, _buttons(turn))]


def _buttons(turn: Turn) -> tuple[Button, Button]:
    _ = turn.t.gettext
    return Button(_("Yes, delete everything"), "pv:yes"), Button(_("No, keep my data"), "pv:no")


_KEEP_WORDS = frozenset(("khong", "khong xoa", "thoi", "no"))
"""A "no" to "Delete it all?" in the words citizens type."""


def typed(turn: Turn, text: str) -> list[Reply] | None:
    """Text at "Delete it all?": "không" keeps everything, as its button does; anything else,
    "có" too, asks again with the buttons rather than leave for a search that made them out
    of date. Erasing waits for its button, tapped or typed in its words ("có, xoá hết")."""
    if fold(text).strip(" .!") in _KEEP_WORDS:
        return decline(turn, [])
    buttons = _buttons(turn)
    _ = turn.t.gettext
    again = _("To delete, please tap “{yes}”; to keep your data, “{no}”.").format(
        yes=buttons[0].label, no=buttons[1].label
    )
    return [Reply(again, buttons)]


def confirm(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The "yes": erase, but only as the answer to the question just asked."""
    if args or turn.state.get("step") != CONFIRM_STEP:
        return None
    # Erased with everything else this turn; a fresh state in case the erasure finds nothing.
    turn.state.clear()
    turn.state.update(states.fresh())
    turn.effects.append(DeleteMyData())
    return [
        Reply(
            turn.t.gettext(
                "Done: everything I kept about you has been deleted. If you write to me again, "
                "we start afresh."
            )
        )
    ]


def decline(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The "no": nothing changes."""
    if args:
        return None
    return menu.show(turn, turn.t.gettext("Nothing was deleted."))
