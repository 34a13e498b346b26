"""A dossier's life told to the citizen: each status change pushed by the portal.

The wording of each status follows the one-stop systems' own labels; the facts (code, note,
amount, link, delivery) come with the internal message the status notice carries.
"""

from __future__ import annotations

from datetime import date, datetime

from dialogs.context import Turn
from dialogs.filing.forms import N_
from dialogs.flows import menu
from dialogs.messages import Button, Reply

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


def status_label(turn: Turn, status: str) -> str:
    """A status in the citizen's language."""
    return turn.t.gettext(STATUS_LABELS.get(status, status))


def status_changed(turn: Turn, _args: list[str]) -> list[Reply]:
    """A status change from the portal, with what the citizen must do now, if anything."""
    _ = turn.t.gettext
    facts = turn.message.facts or {}
    code, status = str(facts.get("code", "")), str(facts.get("status", ""))
    note = str(facts.get("note") or "")
    lines = [_("Dossier {code}: {status}").format(code=code, status=status_label(turn, status))]
    if note:
        lines.append(_("Note from the one-stop desk: {note}").format(note=note))
    buttons: list[Button] = []
    due = facts.get("due_date")
    if status in ("accepted", "processing") and isinstance(due, str):
        lines.append(_("Expected result: {date}").format(date=_day(turn, date.fromisoformat(due))))
    elif status == "supplement_required":
        lines.append(
            _(
                "Please send the papers named above: bring them to the one-stop desk, or add "
                "them to the dossier on the portal. The deadline waits until you do."
            )
        )
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


def _day(turn: Turn, value: date) -> str:
    return turn.t.format_date(datetime(value.year, value.month, value.day))
