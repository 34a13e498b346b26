"""Checklist reminders: asked for by button or in words, delivered later as a message.

Scheduling only returns a ``ScheduleReminder`` effect; the dispatcher keeps it and, when it is
due, feeds its payload ("rem:<code>") back through the dialogs like any other message.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from dialogs import state as states
from dialogs.context import Turn
from dialogs.flows import checklist, menu
from dialogs.messages import Button, Reply
from dialogs.step import ScheduleReminder
from dialogs.text import ReminderRequest

VIETNAM = timezone(timedelta(hours=7), "ICT")
"""Vietnam keeps one offset all year, so a fixed zone is exact."""

REMINDER_HOUR = 8
"""Reminders arrive in the morning, never at the hour of the night the citizen last wrote."""

MAX_DAYS = 60


def due(now: datetime, days: int) -> datetime:
    """The reminder time: 08:00 Vietnam time, ``days`` days after today in Vietnam."""
    today = now.astimezone(VIETNAM).date()
    return datetime.combine(today + timedelta(days=days), time(REMINDER_HOUR), tzinfo=VIETNAM)


def button(turn: Turn, args: list[str]) -> list[Reply] | None:
    """A "rm:<days>:<code>" button ("Remind me tomorrow", "In 3 days")."""
    if len(args) != 2 or not args[0].isdigit():
        return None
    if states.checklist(turn.state, args[1]) is None or turn.procedure(args[1]) is None:
        return None
    return schedule(turn, int(args[0]), args[1])


def from_text(turn: Turn, request: ReminderRequest) -> list[Reply]:
    """ "Nhắc tôi sau 3 ngày": remind about the current or most recent unfinished checklist."""
    pending = [p.code for p, _record in checklist.unfinished(turn)]
    with_missing = [
        code
        for code, record in turn.state.get("checklists", {}).items()
        if record.get("done") and (p := turn.procedure(code)) and checklist.missing_count(p, record)
    ]
    candidates = pending + with_missing
    if not candidates:
        return menu.show(
            turn,
            turn.t.gettext(
                "There is nothing to remind you about yet: start a document checklist first."
            ),
        )
    current = turn.state.get("proc")
    code = current if isinstance(current, str) and current in candidates else candidates[0]
    return schedule(turn, request.days, code)


def schedule(turn: Turn, days: int, code: str) -> list[Reply]:
    """Ask the dispatcher to come back with "rem:<code>" on the chosen morning."""
    _ = turn.t.gettext
    if not 1 <= days <= MAX_DAYS:
        return [
            Reply(
                _("When shall I remind you? Any time from 1 to {max} days.").format(max=MAX_DAYS),
                (*checklist.reminder_buttons(turn, code), menu.menu_button(turn)),
            )
        ]
    now = turn.deps.clock.now()
    when = due(now, days)
    turn.effects.append(ScheduleReminder(due_at=when, payload=f"rem:{code}"))
    text = _("All right, I will remind you on the morning of {date}.").format(
        date=turn.t.format_date(when)
    )
    window = turn.deps.messaging_windows.get(turn.message.ref.channel)
    if window is not None and when - now > window:
        text += "\n" + _(
            "This app lets me write to you only for a while after your last message: if I "
            "cannot reach you that morning, the reminder comes the next time you write to me."
        )
    return [Reply(text, (Button(_("Continue now"), f"cl:go:{code}"), menu.menu_button(turn)))]


def fire(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The reminder coming back: what is left and a button to resume; the step is untouched."""
    procedure = turn.procedure(args[0]) if len(args) == 1 else None
    record = states.checklist(turn.state, args[0]) if procedure else None
    _ = turn.t.gettext
    if procedure is None or record is None:
        return [
            Reply(
                _("Reminder: the checklist you asked about is no longer available."),
                (menu.menu_button(turn),),
            )
        ]
    if record.get("done"):
        missing = checklist.missing_count(procedure, record)
        text = _("Reminder: {name}. You still need {missing}.").format(
            name=procedure.name,
            missing=turn.t.ngettext("{n} document", "{n} documents", missing).format(n=missing),
        )
        if not missing:
            text = _("Reminder: {name}. You have every document you need.").format(
                name=procedure.name
            )
        return [Reply(text, (Button(_("See what is missing"), f"cl:sum:{procedure.code}"),))]
    done, total = checklist.progress(procedure, record)
    text = _(
        "Reminder: you are preparing the documents for {name} ({done}/{total} checked)."
    ).format(name=procedure.name, done=done, total=total)
    return [Reply(text, (Button(_("Continue"), f"cl:go:{procedure.code}"), menu.menu_button(turn)))]
