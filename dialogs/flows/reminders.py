"""Checklist reminders: asked for by button or in words, delivered later as a message.

Scheduling only returns a ``ScheduleReminder`` effect; the dispatcher keeps it and, when it is
due, feeds its payload ("rem:<code>") back through the dialogs like any other message.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from dialogs import state as states
from dialogs.context import Turn
from dialogs.dates import DEFAULT_HOUR, VIETNAM, parse_moment
from dialogs.flows import checklist, menu
from dialogs.messages import Button, Reply
from dialogs.step import ScheduleReminder

MAX_DAYS = 60

WAITING = "reminder:when"
"""The step after "nhắc tôi" without a time: the next text is read as the time."""

_EXAMPLES = "“8 giờ sáng mai”, “thứ hai tuần sau”, “ngày 20/12”"


def due(now: datetime, days: int) -> datetime:
    """The morning hour in Vietnam, ``days`` days after today in Vietnam (the buttons' time)."""
    today = now.astimezone(VIETNAM).date()
    return datetime.combine(today + timedelta(days=days), time(DEFAULT_HOUR), tzinfo=VIETNAM)


def button(turn: Turn, args: list[str]) -> list[Reply] | None:
    """A "rm:<days>:<code>" button ("Remind me tomorrow", "In 3 days")."""
    if len(args) != 2 or not args[0].isdigit():
        return None
    if states.checklist(turn.state, args[1]) is None or turn.procedure(args[1]) is None:
        return None
    days = int(args[0])
    if not 1 <= days <= MAX_DAYS:
        return ask_when(turn, args[1])
    return schedule(turn, due(turn.deps.clock.now(), days), args[1])


def from_text(turn: Turn, text: str) -> list[Reply]:
    """ "Nhắc tôi 7 giờ tối mai": remind about the current or most recent unfinished checklist."""
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
    when = parse_moment(text, turn.deps.clock.now())
    return ask_when(turn, code) if when is None else schedule(turn, when, code)


def typed(turn: Turn, text: str) -> list[Reply] | None:
    """The time typed after "when shall I remind you?"; None when the text names no time."""
    code = turn.state.get("remind")
    when = parse_moment(text, turn.deps.clock.now())
    if when is None or not isinstance(code, str) or states.checklist(turn.state, code) is None:
        return None
    return schedule(turn, when, code)


def ask_when(turn: Turn, code: str) -> list[Reply]:
    """Ask for the time in the citizen's words; the next text is read as one."""
    turn.set_step(WAITING)
    turn.state["remind"] = code
    text = turn.t.gettext(
        "When shall I remind you? Write it in your words, for example {examples}, or choose "
        "below (at most {max} days ahead)."
    ).format(examples=_EXAMPLES, max=MAX_DAYS)
    return [Reply(text, (*checklist.reminder_buttons(turn, code), menu.menu_button(turn)))]


def schedule(turn: Turn, when: datetime, code: str) -> list[Reply]:
    """Say back the time understood, and ask the dispatcher to come back with "rem:<code>".

    The past and more than :data:`MAX_DAYS` ahead are refused, and a reminder the citizen
    already has is not made twice.
    """
    _ = turn.t.gettext
    now = turn.deps.clock.now()
    moment = turn.t.format_moment(when)
    if when <= now:
        turn.set_step(WAITING)
        turn.state["remind"] = code
        return [
            Reply(
                _(
                    "{moment} has already passed. Tell me a later time, for example {examples}."
                ).format(moment=moment, examples=_EXAMPLES),
                (*checklist.reminder_buttons(turn, code), menu.menu_button(turn)),
            )
        ]
    if when - now > timedelta(days=MAX_DAYS):
        turn.set_step(WAITING)
        turn.state["remind"] = code
        return [
            Reply(
                _("{moment} is more than {max} days away. Choose a time within {max} days.").format(
                    moment=moment, max=MAX_DAYS
                ),
                (*checklist.reminder_buttons(turn, code), menu.menu_button(turn)),
            )
        ]
    if turn.state.get("step") == WAITING:
        turn.set_step("menu")  # the time is given; the next text is a question again
    turn.state.pop("remind", None)
    actions = (Button(_("Continue now"), f"cl:go:{code}"), menu.menu_button(turn))
    booked = _booked(turn.state, now)
    entry = {"at": when.isoformat(), "code": code}
    if entry in booked:
        text = _("You already have this reminder: {moment}. I will not send it twice.")
        return [Reply(text.format(moment=moment), actions)]
    turn.state["reminders"] = [*booked, entry]
    turn.effects.append(ScheduleReminder(due_at=when, payload=f"rem:{code}"))
    text = _("All right, I will remind you at {moment}.").format(moment=moment)
    window = turn.deps.messaging_windows.get(turn.message.ref.channel)
    if window is not None and when - now > window:
        text += "\n" + _(
            "This app lets me write to you only for a while after your last message: if I "
            "cannot reach you then, the reminder comes the next time you write to me."
        )
    return [Reply(text, actions)]


def _booked(state: dict[str, Any], now: datetime) -> list[dict[str, str]]:
    """The reminders still to come, as kept in the state to refuse a second one."""
    kept = state.get("reminders")
    if not isinstance(kept, list):
        return []
    return [
        entry
        for entry in kept
        if isinstance(entry, dict)
        and isinstance(entry.get("at"), str)
        and isinstance(entry.get("code"), str)
        and _after(entry["at"], now)
    ]


def _after(stamp: str, now: datetime) -> bool:
    try:
        return datetime.fromisoformat(stamp) > now
    except ValueError:
        return False


def fire(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The reminder coming back: what is left and a button to resume; the step is untouched."""
    procedure = turn.procedure(args[0]) if len(args) == 1 else None
    turn.state["reminders"] = _booked(turn.state, turn.deps.clock.now())
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
