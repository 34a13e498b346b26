"""Linking channels: a one-time code got on one app and typed on another joins them as one citizen.

The dialog cannot make or check codes (no I/O), so it asks the dispatcher with an
``IssueLinkCode`` or ``RedeemLinkCode`` effect; the dispatcher answers within the same turn
with an internal message (``"lk:code:<code>:<minutes>"``, ``"lk:res:<outcome>"``) whose replies
are what the citizen sees. The code itself is never kept in the state.
"""

from __future__ import annotations

import re

from dialogs.context import Turn
from dialogs.flows import menu
from dialogs.messages import Button, Reply
from dialogs.step import LINK_CODE_DIGITS, IssueLinkCode, RedeemLinkCode

_SEPARATORS = re.compile(r"[\s.\-]+")
_CODE = re.compile(rf"[0-9]{{{LINK_CODE_DIGITS}}}")


def code_in(text: str) -> str | None:
    """The one-time code a message is, spaced or not ("123 456"), or None."""
    candidate = _SEPARATORS.sub("", text)
    return candidate if _CODE.fullmatch(candidate) else None


def start(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """The menu entry: what linking gives, and its two big buttons."""
    _ = turn.t.gettext
    turn.set_step("link:menu")
    text = _(
        "Use me on several apps (Zalo, Telegram, Messenger, the website) as one person: "
        "your document checklists and reminders follow you.\n"
        "• On the app you already use, tap “Get a link code”.\n"
        "• On the other app, tap “Enter a code” and type it."
    )
    return [
        Reply(
            text,
            (
                Button(_("Get a link code"), "lk:get"),
                Button(_("Enter a code"), "lk:enter"),
                menu.menu_button(turn),
            ),
        )
    ]


def get(turn: Turn, args: list[str]) -> list[Reply] | None:
    """Ask for a code; the reply showing it comes with the dispatcher's answer."""
    if args:
        return None
    turn.set_step("link:issuing")
    turn.effects.append(IssueLinkCode())
    return []


def enter(turn: Turn, args: list[str]) -> list[Reply] | None:
    """Wait for the code got on the other app."""
    if args:
        return None
    turn.set_step("link:wait_code")
    return [_ask_code(turn)]


def _ask_code(turn: Turn) -> Reply:
    return Reply(
        turn.t.gettext(
            "Type the {digits}-digit code you got on the other app, for example 123 456."
        ).format(digits=LINK_CODE_DIGITS),
        (menu.menu_button(turn),),
    )


def typed(turn: Turn, text: str) -> list[Reply]:
    """Text while waiting for a code: a code is checked, anything else is asked again, as a
    filing's question is. Commands ("menu", "hủy", the menu's words) never reach here, so they
    still leave."""
    candidate = code_in(text)
    if candidate is not None:
        turn.set_step("link:checking")
        turn.effects.append(RedeemLinkCode(candidate))
        return []
    return [
        Reply(
            turn.t.gettext(
                "A link code has {digits} digits, for example 123 456. Please type it again, "
                "or type “menu”."
            ).format(digits=LINK_CODE_DIGITS),
            (menu.menu_button(turn),),
        )
    ]


def show_code(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The dispatcher's new code: shown with its lifetime and where to type it."""
    if len(args) != 2 or not _CODE.fullmatch(args[0]) or not args[1].isdigit():
        return None
    _ = turn.t.gettext
    code, minutes = args[0], int(args[1])
    half = len(code) // 2
    turn.set_step("link:shown")
    lines = [
        turn.t.ngettext(
            "Code: {code} — use it within {minutes} minute, once only.",
            "Code: {code} — use it within {minutes} minutes, once only.",
            minutes,
        ).format(code=f"{code[:half]} {code[half:]}", minutes=minutes),
        _(
            "On the other app, open the menu, choose “Link my apps”, then “Enter a code”, "
            "and type this code."
        ),
        _("Do not give this code to anyone: whoever types it sees your checklists."),
    ]
    # The code is kept nowhere: whoever lost it (a page reloaded, a phone that dropped) asks
    # for another right here.
    again = Button(_("Get a new code"), "lk:get")
    return [Reply("\n\n".join(lines), (again, menu.menu_button(turn)))]


def result(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The dispatcher's verdict on a typed code."""
    outcome = args[0] if len(args) == 1 else None
    _ = turn.t.gettext
    if outcome == "linked":
        turn.set_step("menu")
        text = _(
            "Done! Your apps are linked: your document checklists and reminders are the same "
            "on each of them."
        )
        buttons = (Button(_("Check my documents"), "m:docs"), menu.menu_button(turn))
        return [Reply(text, buttons)]
    if outcome == "invalid":
        # Wrong, expired and used codes get the same answer: guessing learns nothing.
        turn.set_step("link:wait_code")
        text = _(
            "That code does not work: it may be mistyped, expired or already used. Check it and "
            "type it again, or get a new code on the other app."
        )
        return [Reply(text, (menu.menu_button(turn),))]
    if outcome == "locked":
        turn.set_step("menu")
        return [too_many_wrong(turn)]
    return None


def too_many_wrong(turn: Turn) -> Reply:
    """Said when this app (or its address) typed too many wrong one-time codes lately."""
    text = turn.t.gettext(
        "Too many wrong codes were typed here. For your safety, please wait a while and try "
        "again later."
    )
    return Reply(text, (menu.menu_button(turn),))
