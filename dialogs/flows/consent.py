"""A person's consent, on their own chat, to a dossier a volunteer files for them.

The volunteer's filing (``dialogs.flows.filing``) gets a one-time code for the person. The
person sends it here, from any app; the dialog cannot check codes (no I/O), so it asks the
dispatcher with ``RedeemConsentCode``, is shown who asks to file what for them, and answers
with ``AnswerConsent``. The dispatcher's answers come back as internal messages (``cs:ask``,
``cs:done``) whose replies are what the person sees; the volunteer is told through the outbox.
"""

from __future__ import annotations

from dialogs.context import Turn
from dialogs.filing.forms import form_for
from dialogs.flows import filing, link, menu
from dialogs.messages import Button, Reply
from dialogs.step import AnswerConsent, RedeemConsentCode
from dialogs.text import AGREEMENT
from knowledge.text import fold

ASKING = "consent:ask"


def typed(turn: Turn, code: str) -> list[Reply]:
    """A message that is just a one-time code: whose consent request is it?"""
    turn.effects.append(RedeemConsentCode(code))
    return []


def ask(turn: Turn, _args: list[str]) -> list[Reply] | None:
    """The dispatcher's verdict on the code: the request to answer, or why there is none."""
    _ = turn.t.gettext
    facts = turn.message.facts or {}
    outcome = facts.get("outcome")
    if outcome == "found" and isinstance(facts.get("id"), int):
        turn.state["consent"] = {"id": facts["id"]}
        turn.set_step(ASKING)
        form = form_for(str(facts.get("procedure")))
        text = _(
            "Someone who says they are your {relationship} asks to file the dossier “{name}” "
            "for you, {person}, on the one-stop portal, using your name and ID number. You "
            "will get news of the dossier here too. Do you agree?"
        ).format(
            relationship=facts.get("relationship", ""),
            name=filing.title(turn, form) if form else facts.get("procedure", ""),
            person=facts.get("full_name", ""),
        )
        return [Reply(text, _buttons(turn, facts["id"]))]
    if outcome == "expired":
        text = _(
            "This code has expired. Ask the person helping you to get a new code and send that one."
        )
    elif outcome == "own":
        text = _(
            "This code is for the person you are helping: they send it to me from their own "
            "app (Zalo, Telegram, Messenger or the website)."
        )
    elif outcome == "locked":
        return [link.too_many_wrong(turn)]
    elif outcome == "invalid":
        # Any six digits typed alone end here (the dispatcher tried them as a link code first):
        # most are a code someone was given, but a citizen who typed some other number and
        # never asked for a code is told what to do next, not that "the code" failed.
        text = _(
            "I found nothing for this number. If it is a code you were given (by your other "
            "app or by someone filing a dossier for you), check it and type it again, or get a "
            "new one where it came from. Otherwise, tell me in a few words what you need."
        )
    else:
        return None
    return [Reply(text, (menu.menu_button(turn),))]


def _buttons(turn: Turn, request: int) -> tuple[Button, Button]:
    _ = turn.t.gettext
    return Button(_("Agree"), f"cs:y:{request}"), Button(_("Do not agree"), f"cs:n:{request}")


def answer_typed(turn: Turn, text: str) -> list[Reply] | None:
    """Text at "Do you agree?": "có" or "đồng ý", "không" answer as the buttons do; anything
    else gets them again. It was searched as a procedure, which left the request unanswerable:
    its buttons were out of date and its code already used."""
    asked = turn.state.get("consent")
    if not isinstance(asked, dict) or not isinstance(asked.get("id"), int):
        return None
    agreed = AGREEMENT.get(fold(text).strip(" .!"))
    if agreed is not None:
        return answer(turn, [str(asked["id"])], agreed)
    return [Reply(turn.t.gettext("Please tap one of the buttons."), _buttons(turn, asked["id"]))]


def answer(turn: Turn, args: list[str], agreed: bool) -> list[Reply] | None:
    """The person taps "Agree" or "Do not agree" under the request they were shown."""
    asked = turn.state.get("consent")
    if (
        turn.state.get("step") != ASKING
        or not isinstance(asked, dict)
        or len(args) != 1
        or args[0] != str(asked.get("id"))
    ):
        return None
    turn.effects.append(AnswerConsent(int(args[0]), agreed))
    return []


def done(turn: Turn, _args: list[str]) -> list[Reply] | None:
    """The answer is recorded and the volunteer told: say what happens now."""
    _ = turn.t.gettext
    outcome = (turn.message.facts or {}).get("outcome")
    turn.state.pop("consent", None)
    if outcome == "agreed":
        intro = _(
            "Thank you, your agreement is recorded. The person helping you can now file the "
            "dossier; I will write to you here at every step."
        )
    elif outcome == "refused":
        intro = _(
            "All right: nothing will be filed for you and nothing was kept. The person who "
            "asked has been told."
        )
    elif outcome == "gone":
        intro = _("This request is no longer open; nothing was done.")
    else:
        return None
    return menu.show(turn, intro)
