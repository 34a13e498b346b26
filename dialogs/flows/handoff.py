"""Talking to a person: the conversation is handed to the staff of the citizen's commune.

"Talk to staff" asks for the question, then hands the conversation over (``RequestStaff``); the
dispatcher queues it and says, with an internal ``hs:queued``, when someone will answer. A
citizen who has not chosen their commune is asked which first (internal ``hs:where``, then the
commune picker of ``dialogs.flows.communes``), so that commune's own staff get the question. From
then on the assistant stays quiet: what the citizen writes is for the staff, who answer from the
console (``hs:reply``), until the staff close it (``hs:closed``) or the citizen types
“kết thúc” or taps “Back to the assistant”.

A commune picked to reach a person is remembered for the next question (``state["reach"]``)
but is no subscription to its announcements: once the question is handed over, the citizen is
asked whether they want them too (“hs:news:<code>”, or “hs:nonews”).
"""

from __future__ import annotations

from datetime import datetime

from dialogs.context import Turn
from dialogs.flows import communes, menu
from dialogs.messages import Button, Reply
from dialogs.step import EndStaff, RequestStaff
from dialogs.text import MAX_NOTE_CHARS, clean
from knowledge.communes import units
from knowledge.text import fold

TALKING = "staff:talking"
"""The step in which the staff, not the assistant, answer the citizen."""

REACHED = "reach"
"""The state key of the commune picked to reach its staff, without its announcements."""

_OFFER = "offer_news"
"""The state key of the commune whose announcements to offer once the question is queued."""

END_WORDS = frozenset({"ket thuc", "quay lai tro ly", "end", "back to the assistant"})
"""What a citizen types to take the conversation back from the staff."""


def back_button(turn: Turn) -> Button:
    """The button that ends the conversation with the staff."""
    return Button(turn.t.gettext("Back to the assistant"), "hs:end")


def start(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """Ask for the question; the next text hands the conversation over."""
    turn.set_step("staff:wait_text")
    text = turn.t.gettext(
        "Please type your question for the commune one-stop staff. A staff member will answer "
        "here, in this chat. Type “cancel” to go back."
    )
    return [Reply(text, (menu.menu_button(turn),))]


def question(turn: Turn, text: str) -> list[Reply]:
    """Hand the conversation over with the question; the staff see it in the console."""
    if not clean(text, MAX_NOTE_CHARS):
        return [
            Reply(
                turn.t.gettext("I did not get any words. Please type your question."),
                (menu.menu_button(turn),),
            )
        ]
    turn.set_step(TALKING)
    reached = turn.state.get(REACHED)
    turn.effects.append(RequestStaff(reached if isinstance(reached, int) else None))
    return []


def where(turn: Turn, _args: list[str]) -> list[Reply]:
    """No commune chosen yet: ask which, before the question is handed over."""
    replies = communes.ask(turn)
    turn.state["then"] = "staff"
    intro = turn.t.gettext(
        "Before I pass your question on: which commune or ward are you in? Its one-stop staff "
        "will answer you."
    )
    return [Reply(intro), *replies]


def commune_chosen(turn: Turn, args: list[str]) -> list[Reply] | None:
    """A commune chosen ("nw:ok:<code>"): the waiting question goes to its staff, if any.

    It is not subscribed to: its announcements are offered once the question is queued."""
    if turn.state.get("then") != "staff":
        return communes.confirm(turn, args)
    unit = communes.unit(args)
    if unit is None:
        return None
    turn.state.pop("then")
    turn.state.pop("news", None)
    turn.state[REACHED] = turn.state[_OFFER] = unit.code
    turn.set_step(TALKING)
    turn.effects.append(RequestStaff(unit.code))
    return []  # ``queued`` says where it went, once


def queued(turn: Turn, _args: list[str]) -> list[Reply]:
    """Tell the citizen whose staff have their question, by the unit's own name ("Phường Ba
    Đình, Hà Nội": a ward was told "xã"), and when someone will answer."""
    _ = turn.t.gettext
    facts = turn.message.facts or {}
    unit = units.commune(facts["commune"])
    assert unit is not None  # the dispatcher queued the question for it
    opens = facts.get("opens_at")
    if isinstance(opens, str):
        when = datetime.fromisoformat(opens)
        text = _(
            "Your question is with the one-stop staff of {name}. The office is closed now; "
            "someone will answer from {time} on {date}, here in this chat."
        ).format(name=unit.label, time=when.strftime("%H:%M"), date=turn.t.format_date(when))
    else:
        text = _(
            "Your question is with the one-stop staff of {name}. A staff member will answer "
            "here in this chat shortly."
        ).format(name=unit.label)
    text += "\n" + _(
        "Until then I stay quiet. Type “kết thúc” or tap the button to come back to me."
    )
    replies = [Reply(text, (back_button(turn),))]
    offered = units.commune(code) if isinstance(code := turn.state.pop(_OFFER, None), int) else None
    if offered is not None:
        ask = _("Would you also like to receive the announcements of {name} here?")
        answers = (Button(_("Yes"), f"hs:news:{offered.code}"), Button(_("No"), "hs:nonews"))
        replies.append(Reply(ask.format(name=offered.label), answers))
    return replies


def news(turn: Turn, args: list[str]) -> list[Reply] | None:
    """ "Yes" to the announcements of the commune picked to reach its staff ("hs:news:<code>")."""
    done = communes.chosen(turn, args)
    return None if done is None else [Reply(done, (_way_on(turn),))]


def no_news(turn: Turn, _args: list[str]) -> list[Reply]:
    """ "No" to its announcements: nothing is subscribed."""
    text = turn.t.gettext(
        "All right, no announcements. You can choose them later from the menu, "
        "“Commune announcements”."
    )
    return [Reply(text, (_way_on(turn),))]


def _way_on(turn: Turn) -> Button:
    """Still with the staff: the way back to the assistant; otherwise the menu."""
    return back_button(turn) if turn.state.get("step") == TALKING else menu.menu_button(turn)


def during(turn: Turn) -> list[Reply] | None:
    """A message while the staff answer: None lets it through (reminders), else quiet.

    Only “kết thúc” or the button takes the conversation back.
    """
    message = turn.message
    if message.payload == "hs:end" or (
        message.text is not None and fold(message.text).strip(" .!") in END_WORDS
    ):
        return end(turn, [])
    if message.payload is not None and message.payload.split(":", 1)[0] == "rem":
        return None  # a reminder the citizen asked for still comes
    if message.payload is not None and message.payload.startswith(("hs:news:", "hs:nonews")):
        return None  # the answer to the announcements asked about after the handoff
    return []


def end(turn: Turn, _args: list[str]) -> list[Reply]:
    """The citizen takes the conversation back from the staff."""
    if turn.state.get("step") != TALKING:
        return menu.stale(turn)
    turn.effects.append(EndStaff())
    return menu.show(turn, turn.t.gettext("You are back with the assistant."))


def staff_reply(turn: Turn, _args: list[str]) -> list[Reply]:
    """A staff member's answer from the console, as they wrote it."""
    facts = turn.message.facts or {}
    text = turn.t.gettext("Commune staff: {text}").format(text=str(facts.get("text", "")))
    return [Reply(text, (back_button(turn),))]


def closed(turn: Turn, _args: list[str]) -> list[Reply]:
    """The staff closed the conversation: the assistant answers again."""
    if turn.state.get("step") == TALKING:
        turn.set_step("menu")
    return menu.show(
        turn,
        turn.t.gettext(
            "The commune staff have closed this conversation. I am answering again; "
            "tap “Talk to staff” if you need them again."
        ),
    )
