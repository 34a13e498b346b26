"""Submit and staff: honest, useful answers until each has its own flow.

Nothing here pretends: filing a procedure the chat cannot file points to the national portal,
and a question for staff keeps exactly what the citizen typed.
"""

from __future__ import annotations

from dialogs.context import Turn
from dialogs.flows import card, menu
from dialogs.messages import Button, Reply
from dialogs.text import MAX_NOTE_CHARS, clean
from knowledge.model import ChannelKind

LOOKUP_PATH = "/p/home/dvc-tra-cuu-ho-so.html"
"""The national portal's dossier lookup page."""

MAX_STAFF_NOTES = 5


def submit(turn: Turn, args: list[str] | None = None) -> list[Reply] | None:
    """How to file the current (or given) procedure online, with its link; else ask which."""
    _ = turn.t.gettext
    code = args[0] if args else turn.state.get("proc")
    procedure = turn.procedure(code if isinstance(code, str) else None)
    if procedure is None:
        if args:
            return None
        turn.set_step("qa:ask")
        return [
            Reply(
                _(
                    "Which procedure do you want to file? Type its name and I will show you how. "
                    "Filing from this chat is not available yet."
                ),
                (Button(_("Open the portal"), url=turn.deps.portal_url), menu.menu_button(turn)),
            )
        ]
    turn.set_step("submit:guide")
    checklist_button = Button(_("See the document checklist"), f"cl:go:{procedure.code}")
    if procedure.files_online and procedure.source_url:
        text = _(
            "To file “{name}” online:\n"
            "1. Open the procedure's page on the National Public Service Portal (button below).\n"
            "2. Log in with your VNeID electronic identity account.\n"
            "3. Tap “Nộp hồ sơ”, choose the agency, fill in the form and attach photos of your "
            "documents.\n"
            "4. Keep the dossier code you receive, to look the dossier up later.\n"
            "Filing from this chat is not available yet."
        ).format(name=procedure.name)
        return [
            Reply(
                text,
                (
                    Button(_("Open the filing page"), url=procedure.source_url),
                    checklist_button,
                    menu.menu_button(turn),
                ),
            )
        ]
    by_post = any(c.kind is ChannelKind.POST for c in procedure.channels)
    text = _("“{name}” cannot be filed online. Hand in the dossier in person at: {place}.").format(
        name=procedure.name, place=card.place(turn.t, procedure)
    )
    if by_post:
        text += "\n" + _("You can also send it by post.")
    return [Reply(text, (checklist_button, menu.menu_button(turn)))]


def staff(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """Invite a question for the commune one-stop staff; the next text is taken as it."""
    turn.set_step("staff:wait_text")
    text = turn.t.gettext(
        "Please type your question for the commune one-stop staff. They answer during office "
        "hours. Type “cancel” to go back."
    )
    return [Reply(text, (menu.menu_button(turn),))]


def staff_note(turn: Turn, text: str) -> list[Reply]:
    """Keep the question exactly as typed (and when), nothing else, for the staff to answer."""
    _ = turn.t.gettext
    note = clean(text, MAX_NOTE_CHARS)
    if not note:
        return [
            Reply(
                _("I did not get any words. Please type your question."), (menu.menu_button(turn),)
            )
        ]
    notes = turn.state.setdefault("staff_notes", [])
    notes.append({"text": note, "at": turn.deps.clock.now().isoformat()})
    del notes[:-MAX_STAFF_NOTES]
    return menu.show(
        turn,
        _(
            "Thank you, your question is saved for the commune one-stop staff, who answer during "
            "office hours. Meanwhile you can still ask me about procedures."
        ),
    )
