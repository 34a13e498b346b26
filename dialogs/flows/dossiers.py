"""A dossier's life told to the citizen: each status change the portal pushes, the lookup of
any dossier by its code (someone else's only with the applicant's ID number), "My dossiers".

The wording of each status follows the one-stop systems' own labels; the facts (code, note,
amount, link, delivery) come with the internal message the status notice carries.
"""

from __future__ import annotations

from datetime import date, datetime

from dialogs.context import Turn
from dialogs.filing.forms import N_
from dialogs.flows import menu
from dialogs.flows.card import short_name
from dialogs.flows.services import LOOKUP_PATH
from dialogs.messages import Button, Reply
from dialogs.ports import DOSSIER_CODE
from dialogs.step import ListDossiers, LookUpDossier

MAX_LISTED = 20
"""Dossiers listed under "My dossiers"; older ones are still found by their code."""

STATUS_LABELS = {
    "submitted": N_("Submitted"),
    "accepted": N_("Accepted by the one-stop desk"),
    "not_accepted": N_("Not accepted"),
    "processing": N_("Being processed"),
    "supplement_required": N_("More papers needed"),
    "payment_required": N_("Fee or tax to pay"),
    "result_ready": N_("Result ready"),
    "returned": N_("Result handed over"),
    "refused": N_("Refused"),
    "withdrawn": N_("Withdrawn"),
    "stopped": N_("Processing stopped"),
}
"""Every contract status in words (the Vietnamese catalog has the one-stop labels)."""

_READ_THE_REASON = frozenset({"not_accepted", "refused", "stopped"})


def code_in(text: str) -> str | None:
    """The dossier code a message contains, if any (codes are matched in capitals)."""
    found = DOSSIER_CODE.search(text.upper())
    return found.group(0) if found else None


def status_label(turn: Turn, status: str) -> str:
    """A status in the citizen's language."""
    return turn.t.gettext(STATUS_LABELS.get(status, status))


def procedure_name(turn: Turn, code: object) -> str:
    """What a dossier is for, in the words of the procedure's name ("Đăng ký khai sinh"): a
    citizen knows their dossier by it, not by its code or the procedure's number."""
    procedure = turn.procedure(code) if isinstance(code, str) else None
    return short_name(procedure.name) if procedure else ""


def status_changed(turn: Turn, _args: list[str]) -> list[Reply]:
    """A status change from the portal, with what the citizen must do now, if anything."""
    _ = turn.t.gettext
    facts = turn.message.facts or {}
    code, status = str(facts.get("code", "")), str(facts.get("status", ""))
    note = str(facts.get("note") or "")
    lines = [_("Dossier {code}: {status}").format(code=code, status=status_label(turn, status))]
    if named := procedure_name(turn, facts.get("procedure")):
        lines.append(named)
    if note:
        lines.append(_("Note from the one-stop desk: {note}").format(note=note))
    buttons: list[Button] = []
    due = facts.get("due_date")
    if status in ("accepted", "processing") and isinstance(due, str):
        lines.append(_("Expected result: {date}").format(date=_day(turn, date.fromisoformat(due))))
    elif status == "supplement_required":
        lines.append(
            _(
                "Please send the papers named above: here in the chat with the button below, or "
                "at the one-stop desk. The deadline waits until you do."
            )
        )
        if DOSSIER_CODE.fullmatch(code):
            buttons.append(Button(_("Send the missing papers"), f"sp:go:{code}"))
    elif status == "payment_required":
        amount = facts.get("fee_amount")
        if isinstance(amount, int) and amount > 0:
            lines.append(_("Amount to pay: {amount}").format(amount=turn.t.format_money(amount)))
        if isinstance(facts.get("payment_url"), str):
            buttons.append(Button(_("Pay the fee"), url=facts["payment_url"]))
            lines.append(_("Pay online with the button below; processing resumes once paid."))
        else:
            lines.append(_("Pay at the one-stop desk; processing resumes once paid."))
    elif status == "result_ready":
        if facts.get("delivery") == "post":
            lines.append(_("The result is on its way to you by post."))
        else:
            lines.append(
                _(
                    "Collect it at the one-stop desk during office hours; bring your ID card "
                    "and this dossier code."
                )
            )
    elif status in _READ_THE_REASON:
        lines.append(_("The reason is in the desk's note above. Ask me if you need help."))
    buttons.append(menu.menu_button(turn))
    return [Reply("\n".join(lines), tuple(buttons))]


def overdue(turn: Turn, _args: list[str]) -> list[Reply]:
    """The apology for a dossier past its due date, with the desk's new date if it gave one."""
    _ = turn.t.gettext
    facts = turn.message.facts or {}
    code, due, new = facts.get("code", ""), facts.get("due_date"), facts.get("new_due_date")
    lines = [
        _("We are sorry: dossier {code} has not been settled by its due date").format(code=code)
    ]
    if isinstance(due, str):
        lines[0] += " (" + _day(turn, date.fromisoformat(due)) + ")"
    lines[0] += "."
    if reason := facts.get("reason"):
        lines.append(_("The one-stop desk says why: {reason}").format(reason=reason))
    if isinstance(new, str):
        lines.append(
            _("The desk's new date for the result: {date}").format(
                date=_day(turn, date.fromisoformat(new))
            )
        )
    else:
        lines.append(
            _("The desk has not given a new date yet; you will hear from me at each change.")
        )
    return [Reply("\n".join(lines), (menu.menu_button(turn),))]


def _day(turn: Turn, value: date) -> str:
    return turn.t.format_date(datetime(value.year, value.month, value.day))


def lookup_menu(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """The menu's "Look up a dossier": the citizen's own dossiers, and how to look up a code."""
    turn.effects.append(ListDossiers())
    return []


def mine(turn: Turn, _args: list[str]) -> list[Reply]:
    """The citizen's dossiers and their states (an internal answer to ``ListDossiers``)."""
    _ = turn.t.gettext
    items = (turn.message.facts or {}).get("items") or []
    turn.set_step("lookup:guide")
    lines = []
    if items:
        lines.append(_("Your dossiers:"))
        for item in items[:MAX_LISTED]:
            status = (
                status_label(turn, str(item.get("status") or ""))
                if item.get("status")
                else _("waiting to be sent")
            )
            named = procedure_name(turn, item.get("procedure")) or item.get("procedure")
            lines.append(f"• {item.get('code') or '—'} ({named}): {status}")
    else:
        lines.append(_("You have not filed any dossier from this chat yet."))
    lines.append(
        _(
            "To follow any dossier, type its code, e.g. 000.00.20.H39-261124-0007. A dossier "
            "filed by someone else is shown once you confirm the applicant's ID number."
        )
    )
    url = turn.deps.portal_url.rstrip("/") + LOOKUP_PATH
    buttons = [Button(_("Open the lookup page"), url=url), menu.menu_button(turn)]
    if not items:
        buttons.insert(0, Button(_("Submit a dossier"), "m:submit"))
    return [Reply("\n".join(lines), tuple(buttons))]


def code_typed(turn: Turn, code: str) -> list[Reply]:
    """A dossier code typed anywhere: look it up (the dispatcher asks the portal)."""
    turn.state["lookup"] = {"code": code}
    turn.effects.append(LookUpDossier(code))
    return []


def id_typed(turn: Turn, text: str) -> list[Reply] | None:
    """The applicant's ID number, to see a dossier this chat did not file."""
    lookup = turn.state.get("lookup")
    if not isinstance(lookup, dict) or not isinstance(lookup.get("code"), str):
        return None
    digits = "".join(c for c in text if c.isdigit())
    if len(digits) != 12 or len(digits) != len(text.replace(" ", "").replace(".", "")):
        return [
            Reply(
                turn.t.gettext("Please type the applicant's 12-digit ID number, or “menu”."),
                (menu.menu_button(turn),),
            )
        ]
    turn.effects.append(LookUpDossier(lookup["code"], digits))
    return []


def found(turn: Turn, _args: list[str]) -> list[Reply]:
    """What a lookup found (an internal answer to ``LookUpDossier``)."""
    _ = turn.t.gettext
    facts = turn.message.facts or {}
    outcome, code = facts.get("outcome"), str(facts.get("code", ""))
    if outcome == "ask_id":
        turn.set_step("lookup:id")
        text = _(
            "Dossier {code} was not filed from this chat. To see it, type the applicant's ID "
            "number (12 digits)."
        ).format(code=code)
        return [Reply(text, (menu.menu_button(turn),))]
    turn.state.pop("lookup", None)
    turn.set_step("lookup:guide")
    if outcome == "locked":
        text = _(
            "Too many wrong ID numbers were typed for this dossier. Please try again in an "
            "hour, or ask the one-stop desk."
        )
    elif outcome == "wrong":
        text = _(
            "No dossier {code} was found for that ID number. Check the code on your receipt "
            "and the ID number, then type the code again."
        ).format(code=code)
    elif outcome == "unavailable":
        text = _("The one-stop portal is not answering right now. Please try again later.")
    else:
        return status_changed(turn, [])
    return [Reply(text, (menu.menu_button(turn),))]
