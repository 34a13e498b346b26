"""Joining the community digital-technology group, whose members file for people they help.

The menu's "Join the digital-technology group" asks three things, each checked at once: the
citizen's name, the commune whose group they join (the commune picker of
``dialogs.flows.communes``, without subscribing them to its announcements) and a phone number
the coordinators can call. A review sends the request (``JoinGroup``); a coordinator approves or
refuses it in the console, and the decision comes back through the outbox (``vo:approved``,
``vo:rejected``, ``vo:revoked``). Only an approved member is offered "For someone I am helping"
when filing (``dialogs.flows.filing``); the dispatcher gives the standing with every turn
(``DialogDeps.membership``).

State (``state["join"]``): ``{"name": "Trần Văn Bình", "commune": 4, "phone": "+84912345678"}``.
"""

from __future__ import annotations

from typing import Any

from dialogs.context import Turn
from dialogs.filing.forms import Field
from dialogs.filing.validate import Invalid, check, shown_phone
from dialogs.flows import communes, menu
from dialogs.messages import Button, Reply
from dialogs.step import JoinGroup, Membership
from dialogs.text import SEND_WORDS
from knowledge.communes import units
from knowledge.text import fold

THEN = communes.JOINING
"""The ``then`` mark that sends the commune picker's choice back here."""

NAME = Field("full_name", "name", "", "")
PHONE = Field("phone", "phone", "", "")


def start(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """The menu entry: the citizen's standing, or the first question."""
    _ = turn.t.gettext
    standing = turn.deps.membership
    if standing is Membership.APPROVED:
        return menu.show(
            turn,
            _(
                "You are a member of the digital-technology group: under “Submit a dossier” "
                "you can file for someone you are helping."
            ),
        )
    if standing is Membership.PENDING:
        return menu.show(
            turn,
            _(
                "Your request to join the digital-technology group is waiting for a "
                "coordinator. I will tell you here when they decide."
            ),
        )
    turn.state["join"] = {}
    turn.set_step("volunteer:name")
    text = _(
        "Members of the community digital-technology group help neighbours and relatives use "
        "public services, and may file dossiers for them here. To join, I ask your name, your "
        "commune and a phone number; the group's coordinators see them to decide, and they are "
        "used for nothing else.\n\nQuestion 1 of 3: your full name, as on your ID card."
    )
    return [Reply(text, (_stop(turn),))]


def name_typed(turn: Turn, text: str) -> list[Reply] | None:
    """The name, kept exactly as typed; then the commune."""
    join = _join(turn)
    if join is None:
        return None
    result = check(NAME, text, turn.deps.clock.now().date())
    if isinstance(result, Invalid):
        return [_refusal(turn, result)]
    join["name"] = result
    turn.state["then"] = THEN  # before the picker asks: its way out is this form's
    replies = communes.ask(turn)
    intro = turn.t.gettext("Question 2 of 3: the commune or ward whose group you join.")
    return [Reply(intro), *replies]


def waits_for_commune(turn: Turn) -> bool:
    """Whether the commune picker's choice is this form's answer."""
    return turn.state.get("then") == THEN and _join(turn) is not None


def commune_chosen(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The commune chosen in the picker ("nw:ok:<code>"); then the phone number."""
    join = _join(turn)
    unit = units.commune(int(args[0])) if len(args) == 1 and args[0].isdigit() else None
    if join is None or unit is None:
        return None
    turn.state.pop("then", None)
    turn.state.pop("news", None)
    join["commune"] = unit.code
    turn.set_step("volunteer:phone")
    text = turn.t.gettext(
        "Question 3 of 3: a phone number the coordinators can call you on, e.g. 0912 345 678."
    )
    return [Reply(text, (_stop(turn),))]


def phone_typed(turn: Turn, text: str) -> list[Reply] | None:
    """The phone number, normalised; then the review."""
    join = _join(turn)
    if join is None or "commune" not in join:
        return None
    result = check(PHONE, text, turn.deps.clock.now().date())
    if isinstance(result, Invalid):
        return [_refusal(turn, result)]
    join["phone"] = result
    return [_review(turn, join)]


def _review(turn: Turn, join: dict[str, Any]) -> Reply:
    turn.set_step("volunteer:review")
    _ = turn.t.gettext
    unit = units.commune(join["commune"])
    text = _(
        "Please check your request to join the digital-technology group:\n"
        "Name: {name}\nCommune: {commune}\nPhone: {phone}"
    ).format(
        name=join["name"],
        commune=unit.label if unit else join["commune"],
        phone=shown_phone(join["phone"]),
    )
    return Reply(text, (Button(_("Send the request"), "vo:send"), _stop(turn)))


def review_typed(turn: Turn, text: str) -> list[Reply] | None:
    """Text at the review: "gửi" sends the request; anything that is none of its buttons gets
    the review again, rather than a search that left the request behind with its "Send" no
    longer working. A button typed by its words or number, or a command, goes on as anywhere."""
    join = _join(turn)
    if join is None or "phone" not in join:
        return None
    if fold(text).strip(" .!") in SEND_WORDS:
        return send(turn, [])
    review = _review(turn, join)
    _ = turn.t.gettext
    again = _("Please tap “{send}” to send it, or “{cancel}”.").format(
        send=_("Send the request"), cancel=_("Cancel")
    )
    return [Reply(f"{again}\n\n{review.text}", review.buttons)]


def send(turn: Turn, _args: list[str]) -> list[Reply] | None:
    """Send the reviewed request to the coordinators."""
    join = _join(turn)
    if join is None or turn.state.get("step") != "volunteer:review" or "phone" not in join:
        return None
    turn.state.pop("join")
    turn.effects.append(JoinGroup(join["name"], join["commune"], join["phone"]))
    return menu.show(
        turn,
        turn.t.gettext(
            "Your request is with the group's coordinators. I will tell you here when they decide."
        ),
    )


def stop(turn: Turn, _args: list[str]) -> list[Reply]:
    """Give up joining: nothing was kept."""
    turn.state.pop("join", None)
    if turn.state.get("then") == THEN:
        turn.state.pop("then")
    return menu.show(turn, turn.t.gettext("All right, no request was sent and nothing was kept."))


def decided(turn: Turn, args: list[str]) -> list[Reply] | None:
    """A coordinator's decision, told through the outbox ("vo:<new status>")."""
    _ = turn.t.gettext
    texts = {
        Membership.APPROVED: _(
            "Welcome to the digital-technology group! Your request was approved: under "
            "“Submit a dossier” you can now file for someone you are helping, with their "
            "agreement."
        ),
        Membership.REJECTED: _(
            "Your request to join the digital-technology group was not approved. For more, "
            "ask your commune's one-stop desk."
        ),
        Membership.REVOKED: _(
            "You are no longer a member of the digital-technology group, so you can no "
            "longer file dossiers for other people here. Dossiers already filed go on."
        ),
    }
    found = texts.get(Membership(args[0])) if args and args[0] in tuple(Membership) else None
    return None if found is None else [Reply(found, (menu.menu_button(turn),))]


def _join(turn: Turn) -> dict[str, Any] | None:
    found = turn.state.get("join")
    return found if isinstance(found, dict) else None


def _refusal(turn: Turn, result: Invalid) -> Reply:
    return Reply(turn.t.gettext(result.message).format(**result.params), (_stop(turn),))


def _stop(turn: Turn) -> Button:
    return Button(turn.t.gettext("Cancel"), "vo:stop")
