"""Submit and announcements: honest, useful answers until each has its own flow.

Nothing here pretends: filing a procedure the chat cannot file points to the national portal,
announcements say they are not available yet.
"""

from __future__ import annotations

from dialogs.context import Turn
from dialogs.flows import card, menu
from dialogs.messages import Button, Reply
from knowledge.model import ChannelKind

LOOKUP_PATH = "/p/home/dvc-tra-cuu-ho-so.html"
"""The national portal's dossier lookup page."""


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


def announcements(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """Commune announcements are not available yet: say so and where they are posted today."""
    turn.set_step("news:unavailable")
    text = turn.t.gettext(
        "Announcements from your commune are not available here yet. Official notices are "
        "posted at the commune People's Committee office and on the commune's website."
    )
    return [Reply(text, (menu.menu_button(turn),))]
