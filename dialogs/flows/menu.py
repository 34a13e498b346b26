"""The main menu, help, cancel, language choice and the replies for buttons that went stale."""

from __future__ import annotations

from babel import Locale

from dialogs.context import SUPPORTED_LOCALES, Turn
from dialogs.filing.forms import N_
from dialogs.messages import Button, Reply


def buttons(turn: Turn) -> tuple[Button, ...]:
    """The big menu buttons, in the order citizens need them most."""
    _ = turn.t.gettext
    return (
        Button(_("Ask about a procedure"), "m:ask"),
        Button(_("Check my documents"), "m:docs"),
        Button(_("Submit a dossier"), "m:submit"),
        Button(_("Look up a dossier"), "m:lookup"),
        Button(_("Commune announcements"), "m:news"),
        Button(_("Talk to staff"), "m:staff"),
        Button(_("Language / Ngôn ngữ"), "m:lang"),
        Button(_("Link my apps"), "m:link"),
        Button(_("Join the digital-technology group"), "m:join"),
    )


def menu_button(turn: Turn) -> Button:
    """A single "Menu" button to put under a reply."""
    return Button(turn.t.gettext("Menu"), "m:menu")


def show(turn: Turn, intro: str | None = None) -> list[Reply]:
    """Go to the menu, optionally after a sentence saying why."""
    turn.set_step("menu")
    text = turn.t.gettext("What do you need? Choose below, or just type your question.")
    return [Reply(f"{intro}\n\n{text}" if intro else text, buttons(turn))]


def start(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """The greeting for /start: who the assistant is and what it can do."""
    return show(
        turn,
        turn.t.gettext(
            "Hello! I help you with public services: which documents to bring, fees, "
            "processing times and where to go, from the national procedure database."
        ),
    )


_SMALL_TALK_REPLIES = {
    "thanks": N_("You are welcome! Type your question any time, or “menu”."),
    "ok": N_("All right. Type your question any time, or “menu”."),
    "bye": N_("Goodbye! Come back any time: type your question, or “menu”."),
}


def small_talk(turn: Turn, kind: str) -> list[Reply]:
    """A short answer to words that name no procedure, each in kind: "chào" the greeting,
    "cảm ơn" "you are welcome" (not "ok"), "thôi", "dừng lại" or "không" stops as "hủy"
    does, "gì" or "giúp tôi" what the assistant does with the menu. Never a procedure's card."""
    if kind == "hello":
        return start(turn)
    if kind in ("stop", "no"):
        return cancel(turn)
    if kind == "what":
        return show(
            turn,
            turn.t.gettext(
                "I help you with public services: which documents to bring, fees, processing "
                "times and where to go; I go through your papers with you and file a dossier."
            ),
        )
    return [Reply(turn.t.gettext(_SMALL_TALK_REPLIES[kind]), (menu_button(turn),))]


def help_(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """How to use the assistant, in plain words."""
    return show(
        turn,
        turn.t.gettext(
            "How to use me:\n"
            "• Type what you need, for example: make an ID card, register a birth.\n"
            "• Tap a button, or type the number of the button.\n"
            "• Type “menu” to come back here, “cancel” to stop what you are doing.\n"
            "• Type “delete my data” to have everything I keep about you deleted.\n"
            "• Answers come from the national database of administrative procedures."
        ),
    )


def cancel(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """Stop the current step; checklists keep their progress, and are said to only when the
    citizen has one."""
    turn.state.pop("choices", None)
    if not turn.state.get("checklists"):
        return show(turn, turn.t.gettext("Stopped."))
    return show(
        turn,
        turn.t.gettext("Stopped. Your document checklists are saved; you can continue later."),
    )


def menu(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """The menu button."""
    return show(turn)


def stale(turn: Turn) -> list[Reply]:
    """A button from an old message or another step: say so calmly and offer the menu."""
    return show(
        turn,
        turn.t.gettext("That button is out of date, so I cannot use it. Please choose again."),
    )


def ask_language(turn: Turn, args: list[str] | None = None) -> list[Reply] | None:
    """Offer each language in its own name, so anyone can find theirs; a language typed by its
    name ("English", "tiếng Việt") is chosen at once."""
    if args:
        return set_language(turn, args)
    turn.set_step("language")
    choices = tuple(
        Button(Locale.parse(code).display_name or code, f"lang:{code}")
        for code in SUPPORTED_LOCALES
    )
    return [Reply(turn.t.gettext("Choose your language:"), (*choices, menu_button(turn)))]


def set_language(turn: Turn, args: list[str]) -> list[Reply] | None:
    """Remember the chosen language; it wins over the platform's from now on."""
    if len(args) != 1 or args[0] not in SUPPORTED_LOCALES:
        return None
    turn.state["locale"] = args[0]
    turn.t = turn.deps.translator(args[0])
    return show(turn, turn.t.gettext("I will speak English from now on."))
