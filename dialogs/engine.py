"""The conversation engine: ``handle(state, message, deps) -> Step``, pure and deterministic.

One message in, one step out. The engine resolves the language, decides what the message is
(a button payload, a command, a number picking a button, a reminder request, or a question)
and hands it to a flow. It does no I/O: the knowledge base and the clock come from ``deps``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

from dialogs import state as states
from dialogs.context import Turn, resolve_locale
from dialogs.flows import (
    checklist,
    communes,
    consent,
    dossiers,
    feedback,
    filing,
    handoff,
    link,
    menu,
    more,
    privacy,
    qa,
    reminders,
    services,
    uploads,
    volunteers,
)
from dialogs.messages import Attachment, IncomingMessage, Reply
from dialogs.step import DialogDeps, Step
from dialogs.text import (
    MAX_QUERY_CHARS,
    asks_reminder,
    clean,
    command,
    digit,
    has_words,
    small_talk,
)
from knowledge.text import fold

Handler = Callable[[Turn, list[str]], list[Reply] | None]
"""A payload handler; it returns None when the payload no longer fits the conversation."""

MAX_INPUT_CHARS = 4000
"""Text beyond this is never read: a 100 kB paste costs what a long message does."""

MAX_PAYLOAD_BYTES = 64
"""Telegram's callback_data limit; anything longer did not come from us."""


def _commune_chosen(turn: Turn, args: list[str]) -> list[Reply] | None:
    """A commune chosen in the picker: the answer of the form that asked for it, if any."""
    if volunteers.waits_for_commune(turn):
        return volunteers.commune_chosen(turn, args)
    return handoff.commune_chosen(turn, args)


def _commune_typed(turn: Turn, text: str) -> list[Reply] | None:
    """Text while a commune is chosen: "đúng" or "không" answers "Is it …?" as its buttons
    do; anything else is a name or an old address to search."""
    offered = [b.get("p") for b in _stored(turn)]
    if (payload := communes.answer_word(text, offered)) is not None:
        return press(turn, payload)
    return communes.typed(turn, text)


_PAYLOADS: dict[str, Handler] = {
    "m:menu": menu.menu,
    "m:help": menu.help_,
    "m:ask": qa.ask,
    "m:docs": checklist.my_documents,
    "m:submit": filing.choose,
    "m:lookup": dossiers.lookup_menu,
    "m:news": communes.open_,
    "m:staff": handoff.start,
    "hs:end": handoff.end,
    "hs:news": handoff.news,
    "hs:nonews": handoff.no_news,
    "m:lang": menu.ask_language,
    "m:link": link.start,
    "m:join": volunteers.start,
    "vo:send": volunteers.send,
    "vo:stop": volunteers.stop,
    "lk:get": link.get,
    "lk:enter": link.enter,
    "lang": menu.set_language,
    "proc": qa.show,
    "qa:more": qa.others,
    "qa:miss": qa.miss,
    "rt:skip": feedback.skip,
    "rt": feedback.rate,
    "sub": services.submit,
    "cl:go": checklist.go,
    "cl:have": partial(checklist.answer, kind="have"),
    "cl:miss": partial(checklist.answer, kind="miss"),
    "cl:na": partial(checklist.answer, kind="na"),
    "cl:case": checklist.choose_case,
    "cl:what": checklist.what,
    "cl:sum": checklist.summary,
    "cl:stop": checklist.pause,
    "cl:redo": checklist.redo,
    "f:go": filing.start,
    "f:ok": partial(filing.consent, agreed=True),
    "f:no": partial(filing.consent, agreed=False),
    "f:c": filing.choice,
    "f:w": filing.whom,
    "f:fc": filing.for_consent,
    "cs:y": partial(consent.answer, agreed=True),
    "cs:n": partial(consent.answer, agreed=False),
    "f:skip": filing.skip,
    "f:d": filing.delivery,
    "f:chg": filing.change,
    "f:e": filing.change,
    "f:rv": filing.back,
    "f:all": filing.offer,
    "f:send": filing.confirm,
    "f:stop": filing.stop,
    "f:pp": filing.papers,
    "f:ps": filing.paper_skip,
    "sp:go": uploads.start,
    "sp:done": uploads.done,
    "nw:ask": communes.ask,
    "nw:pp": communes.provinces,
    "nw:pv": communes.province,
    "nw:ok": _commune_chosen,
    "nw:stop": communes.stop,
    "nw:old": communes.older,
    "rm": reminders.button,
    "rem": reminders.fire,
    "pv:yes": privacy.confirm,
    "pv:no": privacy.decline,
    "more": more.more,
}


def _cancel(turn: Turn, args: list[str]) -> list[Reply] | None:
    """ "hủy" stops what is under way: a filing or a request to join the digital-technology
    group is stopped as its own button stops it (nothing kept; the request's commune question
    would otherwise take the next commune chosen for announcements), anything else goes back
    to the menu with checklists kept."""
    step = str(turn.state.get("step"))
    if step.startswith("filing:") and (stopped := filing.stop(turn, args)):
        return stopped
    if step.startswith("volunteer:") or volunteers.waits_for_commune(turn):
        return volunteers.stop(turn, args)
    return menu.cancel(turn, args)


_COMMANDS: dict[str, Handler] = {
    "start": menu.start,
    "menu": menu.menu,
    "help": menu.help_,
    "cancel": _cancel,
    "link": link.start,
    "forget": privacy.start,
    "unsubscribe": communes.stop,
    "documents": checklist.my_documents,
    "submit": filing.choose,
    "lookup": dossiers.lookup_menu,
    "news": communes.open_,
    "staff": handoff.start,
    "language": menu.ask_language,
    "ask": qa.ask,
    "join": volunteers.start,
}

_INTERNAL: dict[str, Handler] = {
    "lk:code": link.show_code,
    "lk:res": link.result,
    "cs:code": filing.for_code,
    "cs:yes": partial(filing.for_answered, agreed=True),
    "cs:no": partial(filing.for_answered, agreed=False),
    "cs:ask": consent.ask,
    "cs:done": consent.done,
    "fd:rcpt": filing.receipt,
    "fd:given": filing.filed_for_you,
    "fd:wait": filing.waiting,
    "fd:fail": filing.refused,
    "fd:st": dossiers.status_changed,
    "fd:late": dossiers.overdue,
    "ds:found": dossiers.found,
    "ds:mine": dossiers.mine,
    "nw:mine": communes.mine,
    "hs:queued": handoff.queued,
    "hs:where": handoff.where,
    "hs:reply": handoff.staff_reply,
    "hs:closed": handoff.closed,
    "vo": volunteers.decided,
}
"""Payloads only the dispatcher raises (``IncomingMessage.internal``); a user's are stale."""

_WAITS_FOR_TEXT: dict[str, Callable[[Turn, str], list[Reply] | None]] = {
    "checklist:item": checklist.typed,
    "qa:answer": checklist.papers_asked,
    "qa:choose_variant": qa.papers_before_choosing,
    "qa:unsure": qa.papers_before_choosing,
    "checklist:case": checklist.case_typed,
    "checklist:paused": checklist.paused_typed,
    "staff:wait_text": handoff.question,
    "link:wait_code": link.typed,
    filing.CHOOSING: filing.choose_typed,
    "filing:consent": filing.consent_typed,
    "filing:field": filing.typed,
    "filing:delivery": filing.delivery_typed,
    "filing:post_address": filing.post_address,
    "filing:for": filing.for_typed,
    "volunteer:name": volunteers.name_typed,
    "volunteer:phone": volunteers.phone_typed,
    "volunteer:review": volunteers.review_typed,
    privacy.CONFIRM_STEP: privacy.typed,
    consent.ASKING: consent.answer_typed,
    "filing:for_consent": filing.for_consent_typed,
    "filing:whom": filing.whom_typed,
    "filing:paper": filing.paper_typed,
    "filing:review": filing.review_typed,
    "filing:change": filing.change_typed,
    uploads.WAITING: uploads.typed,
    "lookup:id": dossiers.id_typed,
    "rate:comment": feedback.comment,
    "news:choose": _commune_typed,
    "news:province": _commune_typed,
    reminders.WAITING: reminders.typed,
}
"""Steps that take the next free text as input instead of as a question (None: not input)."""

_BUTTON_QUESTIONS = frozenset(
    (
        privacy.CONFIRM_STEP,
        consent.ASKING,
        "filing:whom",
        "filing:for_consent",
        "filing:delivery",
        "filing:review",
        "filing:change",
        "volunteer:review",
    )
)
"""Questions only their buttons answer: a button typed by its label or number is pressed
before the step's handler hears the text, which then takes the question's own words ("gửi",
"không") or asks it again; no other text leaves for a search."""

_LEFT_BY_STOP_WORDS = frozenset(
    ("staff:wait_text", "news:choose", "news:province", "volunteer:name", "volunteer:phone")
)
"""Steps that take any text as their answer, where "thôi" or "dừng lại" leaves as "hủy" does:
"thôi" was handed to the commune's staff as a question, or searched as a commune's name."""

_FORM_STEPS = frozenset({"filing:field", "filing:post_address", "filing:for"})
"""Steps asking one field of a form: a blank answer is refused with what that field expects,
not with the general hint for empty messages."""

_TAKES_FILES: dict[str, Callable[[Turn, Attachment], list[Reply] | None]] = {
    "filing:paper": filing.paper_sent,
    uploads.WAITING: uploads.sent,
}
"""Steps that take a photo or file as the paper asked for; elsewhere a file is not read."""


def handle(state: Mapping[str, Any], message: IncomingMessage, deps: DialogDeps) -> Step:
    """Answer one message: the new state, the replies and any effects (reminders, link codes)."""
    working, was_reset = states.load(state)
    locale = resolve_locale(working, message, deps.default_locale)
    turn = Turn(working, deps, deps.translator(locale), message)
    replies = _route(turn)
    if was_reset:
        notice = turn.t.gettext(
            "I have been updated, so we start again from the menu. Sorry for the trouble."
        )
        replies = [Reply(notice), *replies]
    replies = more.paginate(turn, replies)
    _remember_buttons(turn.state, replies)
    return Step(state=turn.state, replies=tuple(replies), effects=tuple(turn.effects))


def _route(turn: Turn) -> list[Reply]:
    message = turn.message
    if message.internal:
        return _run(turn, _INTERNAL, message.payload or "")
    if turn.state.get("step") == handoff.TALKING and (quiet := handoff.during(turn)) is not None:
        return quiet
    if message.payload is not None:
        return press(turn, message.payload)
    takes = _TAKES_FILES.get(turn.state["step"])
    attachment = message.attachment
    if attachment is not None and takes is not None and (found := takes(turn, attachment)):
        return found
    text = (message.text or "")[:MAX_INPUT_CHARS]
    blank_is_an_answer = attachment is None and turn.state["step"] in _FORM_STEPS
    if not text.strip() and not blank_is_an_answer:
        return [_calm(turn, attachment=attachment is not None)]
    if (asked := command(text)) is not None:
        name, *args = asked.split(":")
        # No replies yet is an answer too: a list of dossiers comes from the dispatcher.
        done = _COMMANDS[name](turn, args)
        return menu.show(turn) if done is None else done
    if turn.state["step"] in _LEFT_BY_STOP_WORDS and small_talk(text) == "stop":
        return menu.show(turn) if (left := _cancel(turn, [])) is None else left
    # The rating is asked under a finished checklist or a receipt, whatever the step is now.
    if (rated := feedback.typed(turn, text, _stored(turn))) is not None:
        return rated
    if turn.state["step"] in _BUTTON_QUESTIONS:
        if (number := digit(text)) is not None and 1 <= number <= len(_stored(turn)):
            return _select(turn, number)
        if (payload := _label_payload(turn, text)) is not None:
            return press(turn, payload)
    waiting = _WAITS_FOR_TEXT.get(turn.state["step"])
    if waiting is not None and (replies := waiting(turn, text)) is not None:
        return replies
    if (one_time := link.code_in(text)) is not None:
        return consent.typed(turn, one_time)
    if (code := dossiers.code_in(text)) is not None:
        return dossiers.code_typed(turn, code)
    if (number := digit(text)) is not None and _stored(turn):
        return _select(turn, number)
    if (payload := _label_payload(turn, text)) is not None:
        return press(turn, payload)
    if asks_reminder(text):
        return reminders.from_text(turn, text)
    if (talk := small_talk(text)) is not None:
        return menu.small_talk(turn, talk)
    query = clean(text)
    if not has_words(query):
        return [_calm(turn)]
    replies = qa.question(turn, query)
    if len(text.strip()) > MAX_QUERY_CHARS:
        # A long paste is searched by its beginning only; the citizen is told so.
        notice = turn.t.gettext(
            "Your message is long: I read its first {read} of {total} characters."
        ).format(read=MAX_QUERY_CHARS, total=len((message.text or "").strip()))
        replies = [Reply(notice), *replies]
    return replies


def press(turn: Turn, payload: str) -> list[Reply]:
    """Run a button's payload; unknown or stale payloads get a calm "out of date" and the menu."""
    return _run(turn, _PAYLOADS, payload)


def _run(turn: Turn, handlers: Mapping[str, Handler], payload: str) -> list[Reply]:
    if len(payload.encode("utf-8", "replace")) > MAX_PAYLOAD_BYTES or not payload.isascii():
        return menu.stale(turn)
    parts = payload.split(":")
    for size in (2, 1):
        handler = handlers.get(":".join(parts[:size]))
        if handler is not None:
            replies = handler(turn, parts[size:])
            return menu.stale(turn) if replies is None else replies
    return menu.stale(turn)


def _calm(turn: Turn, attachment: bool = False) -> Reply:
    """Empty, emoji-only or unreadable input: a calm hint, and nothing in the state changes."""
    if attachment:
        return Reply(
            turn.t.gettext(
                "I take photos and files only as the papers of a dossier, when I ask for them. "
                "Please type your question in words."
            )
        )
    return Reply(
        turn.t.gettext(
            "I did not understand. Type what you need in a few words, for example "
            "“đăng ký khai sinh”, or type “menu”."
        )
    )


def _stored(turn: Turn) -> list[dict[str, str]]:
    """The buttons last offered, as kept in the state."""
    found = turn.state.get("buttons")
    if not isinstance(found, list):
        return []
    return [b for b in found if isinstance(b, dict) and isinstance(b.get("l"), str)]


def _select(turn: Turn, number: int) -> list[Reply]:
    """A bare number picks that button of the last list (adapters may show buttons as numbers)."""
    offered = _stored(turn)
    if not 1 <= number <= len(offered):
        return [
            Reply(
                turn.t.gettext(
                    "There is no option {number}. Choose a number from 1 to {count}."
                ).format(number=number, count=len(offered))
            )
        ]
    chosen = offered[number - 1]
    if isinstance(chosen.get("p"), str):
        return press(turn, chosen["p"])
    return [Reply(turn.t.gettext("Open this link: {url}").format(url=chosen.get("u", "")))]


_COUNTER = re.compile(r"\s*\(\d+/\d+\)$")
"""A label's place counter, "Xem thêm (2/3)": nobody types it."""


def _label_payload(turn: Turn, text: str) -> str | None:
    """The payload of a button whose label the user typed ("co" for "Có", "xem them" for
    "Xem thêm (2/3)")."""
    typed = fold(text).strip(" .!")
    for button in _stored(turn):
        label = fold(button["l"])
        if isinstance(button.get("p"), str) and typed in (label, _COUNTER.sub("", label)):
            return button["p"]
    return None


def _remember_buttons(state: dict[str, Any], replies: Sequence[Reply]) -> None:
    """Keep the last offered buttons so a digit or a typed label can select one later."""
    for reply in reversed(replies):
        if reply.buttons:
            state["buttons"] = [
                {"l": b.label, "p": b.payload} if b.payload else {"l": b.label, "u": b.url or ""}
                for b in reply.buttons
            ]
            return
