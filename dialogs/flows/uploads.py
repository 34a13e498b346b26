"""Papers sent from the chat: why a file is refused, and the papers a desk asks for later.

A dossier's papers while filing are asked for by ``dialogs.flows.filing``. When the desk puts a
filed dossier on ``supplement_required``, the notice's button starts this flow: every photo or
PDF the citizen then sends goes to that dossier (``SupplyPapers``), until they tap "Done".

State (``state["supplement"]``)::

    {"code": "000.00.20.H39-261124-0007", "n": 1}   # papers sent so far
"""

from __future__ import annotations

from typing import Any

from dialogs.context import Turn
from dialogs.flows import menu
from dialogs.messages import Attachment, Button, Reply
from dialogs.ports import DOSSIER_CODE, MAX_PAPER_BYTES
from dialogs.step import SupplyPapers

WAITING = "supplement:paper"
"""The step in which every file sent goes to the dossier named in the state."""


def refusal(turn: Turn, attachment: Attachment) -> str | None:
    """Why this file cannot be taken, in words; None when it was kept."""
    _ = turn.t.gettext
    if attachment.paper is not None and not attachment.refused:
        return None
    if attachment.refused == "too_big":
        return _(
            "This file is too large: a paper can be at most {mb} MB. Please send a smaller "
            "photo or PDF."
        ).format(mb=MAX_PAPER_BYTES // (1024 * 1024))
    if attachment.refused == "wrong_type":
        return _(
            "I can only take photos (JPEG or PNG) and PDF files, and this file is neither, "
            "whatever its name says. Please send a photo or a PDF of the paper."
        )
    return _("I could not receive this file. Please send it again.")


def start(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The notice's "Send the missing papers": files sent from now on go to this dossier."""
    code = args[0] if args else ""
    if not DOSSIER_CODE.fullmatch(code):
        return None
    _ = turn.t.gettext
    turn.state["supplement"] = {"code": code, "n": 0}
    turn.set_step(WAITING)
    text = _(
        "Send photos or PDF files of the papers the desk asked for, one at a time, here in the "
        "chat (at most {mb} MB each). Each one goes to dossier {code} as soon as it arrives."
    ).format(mb=MAX_PAPER_BYTES // (1024 * 1024), code=code)
    return [Reply(text, _buttons(turn))]


def sent(turn: Turn, attachment: Attachment) -> list[Reply] | None:
    """A file sent while the desk waits for papers: it goes to the dossier, or is refused."""
    supplement = _supplement(turn)
    if supplement is None:
        return None
    _ = turn.t.gettext
    reason = refusal(turn, attachment)
    if reason is not None:
        return [Reply(reason, _buttons(turn))]
    assert attachment.paper is not None
    supplement["n"] += 1
    name = f"Giấy tờ bổ sung {supplement['n']}"
    turn.effects.append(SupplyPapers(supplement["code"], ((name, attachment.paper),)))
    text = _(
        "Received ({count}). It is being sent to the one-stop desk with dossier {code}. Send "
        "another paper, or tap “Done”."
    ).format(count=supplement["n"], code=supplement["code"])
    return [Reply(text, _buttons(turn))]


def typed(turn: Turn, _text: str) -> list[Reply] | None:
    """Words while the desk waits for papers: say what is expected."""
    if _supplement(turn) is None:
        return None
    text = turn.t.gettext(
        "Please send a photo or a PDF file of the paper, or tap “Done” when you have sent them."
    )
    return [Reply(text, _buttons(turn))]


def done(turn: Turn, _args: list[str]) -> list[Reply]:
    """The citizen has sent what they had."""
    _ = turn.t.gettext
    supplement = turn.state.pop("supplement", None)
    if isinstance(supplement, dict) and supplement.get("n"):
        text = _(
            "Thank you. The desk will check the papers; I will tell you here when dossier "
            "{code} moves on."
        ).format(code=supplement.get("code", ""))
    else:
        text = _("No paper was sent. You can still bring them to the one-stop desk.")
    return menu.show(turn, text)


def _supplement(turn: Turn) -> dict[str, Any] | None:
    found = turn.state.get("supplement")
    if turn.state.get("step") != WAITING or not isinstance(found, dict):
        return None
    return found if isinstance(found.get("code"), str) and isinstance(found.get("n"), int) else None


def _buttons(turn: Turn) -> tuple[Button, ...]:
    return (Button(turn.t.gettext("Done"), "sp:done"), menu.menu_button(turn))
