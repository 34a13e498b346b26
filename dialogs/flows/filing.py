"""Filing a dossier from the chat: consent, one question at a time, delivery, review, confirm.

The flow never reaches the portal itself: confirming emits a ``SubmitDossier`` effect whose
idempotency key was fixed when the filing started, and the dispatcher keeps the dossier in its
outbox in the same transaction as the state. The receipt (or word that the portal is down and
the dossier will be sent later) comes back as an internal message with the portal's facts.

State (``state["filing"]``)::

    {"proc": "1.001193", "key": "<idempotency key>", "consent": {"at": ..., "version": "1"},
     "values": {"full_name": "Nguyễn Thị Hoà", ...}, "at": 3, "delivery": {"method": "post",
     "address": "..."}, "review": true, "papers": {"birth_certificate": 12}, "paper_at": 0}

``answered`` is set once every question is answered (delivery comes next), ``review`` once the
summary was shown: an unfinished filing picked up again from the menu goes back there.

Papers are sent from the review ("Attach papers"): one question per paper not yet attached;
``papers`` maps each paper's key to the id of the checked file kept for it (``bot.papers``).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from dialogs.context import Turn
from dialogs.dates import VIETNAM
from dialogs.filing.forms import (
    APPLICANT_KEYS,
    FORMS,
    N_,
    ON_BEHALF,
    Field,
    Form,
    Paper,
    form_for,
)
from dialogs.filing.validate import Invalid, check, shown_phone, typed_in_full
from dialogs.flows import communes, feedback, menu, services, uploads
from dialogs.messages import Attachment, Button, Reply
from dialogs.ports import MAX_PAPER_BYTES
from dialogs.step import IssueConsentCode, Membership, SubmitDossier
from dialogs.text import (
    AGREEMENT,
    PAUSE_WORDS,
    SEND_WORDS,
    asks_reminder,
    phrase_kinds,
    typed_button,
)
from knowledge.text import fold

CHOOSING = "filing:choose"
"""The step of the list of procedures filed here: a name typed there picks one of them."""

CONSENT_VERSION = "2026-12-01"
"""The version of the personal-data notice; kept with each consent, change it with the text."""


def fileable(turn: Turn, code: str | None) -> bool:
    """Whether this procedure can be filed from the chat."""
    return form_for(code) is not None and turn.procedure(code) is not None


def choose(turn: Turn, _args: list[str] | None = None) -> list[Reply] | None:
    """The menu's "Submit a dossier": the procedures that can be filed here."""
    _ = turn.t.gettext
    if (resumed := _resume(turn)) is not None:
        return resumed
    current = turn.state.get("proc")
    if isinstance(current, str) and fileable(turn, current):
        # The procedure last asked about is a guess, not a choice: the others stay a tap away.
        notice = start(turn, [current])
        assert notice is not None
        another = Button(_("Choose another procedure"), "f:all")
        return [replace(reply, buttons=(*reply.buttons, another)) for reply in notice]
    if isinstance(current, str) and turn.procedure(current) is not None:
        return services.submit(turn)
    return _fileable(turn)


def offer(turn: Turn, _args: list[str]) -> list[Reply] | None:
    """ "Choose another procedure" under the notice the menu went to: that filing, not yet
    agreed to, is dropped; under a filing since begun the button is old and keeps it."""
    if turn.state.get("step") != "filing:consent":
        return None
    turn.state.pop("filing", None)
    return _fileable(turn)


def _fileable(turn: Turn) -> list[Reply]:
    """The procedures that can be filed here, each a button; any other is typed by its name."""
    _ = turn.t.gettext
    buttons = [
        Button(_(form.name), f"f:go:{code}")
        for code, form in FORMS.items()
        if turn.procedure(code) is not None
    ]
    turn.set_step(CHOOSING)
    text = _(
        "These procedures can be filed right here in the chat. Which one? For any other, type "
        "its name and I will show you how to file it on the portal."
    )
    portal = Button(_("Open the portal"), url=turn.deps.portal_url)
    return [Reply(text, (*buttons, portal, menu.menu_button(turn)))]


_FILLER = frozenset(
    (
        *("thu", "tuc", "lam", "nop", "ho", "so", "cho", "xin", "toi", "muon", "giay"),
        *("a", "an", "the", "my", "i", "want", "to", "file", "for", "please"),
    )
)
"""Words around a procedure's name that name none ("nộp hồ sơ", "làm thủ tục", "giấy", "file
a", "my")."""


def choose_typed(turn: Turn, text: str) -> list[Reply] | None:
    """Words typed at the list of procedures filed here: the one procedure of the list whose
    name holds them all ("khai sinh", "tam tru", "birth"), its portal name or its form's short
    name in either language, is started as its button would; None for anything else, which is
    a question about that procedure, as the list says."""
    words = set(fold(text).split()) - _FILLER
    if not words:
        return None
    named = [
        code
        for code, form in FORMS.items()
        if (procedure := turn.procedure(code)) is not None
        and any(
            words <= set(fold(name).split())
            for name in (procedure.name, form.name, turn.t.gettext(form.name))
        )
    ]
    return start(turn, named) if len(named) == 1 else None


def start(turn: Turn, args: list[str]) -> list[Reply] | None:
    """Begin filing a procedure: first the personal-data notice, which must be accepted."""
    code = args[0] if args else None
    if not fileable(turn, code):
        return None
    assert code is not None
    if (resumed := _resume(turn, code)) is not None:
        return resumed
    _ = turn.t.gettext
    form = form_for(code)
    assert form is not None
    seed = f"{turn.message.ref.key}|{code}|{turn.deps.clock.now().isoformat()}"
    turn.state["proc"] = code
    turn.state["filing"] = {
        "proc": code,
        "key": hashlib.sha256(seed.encode()).hexdigest()[:40],
        "values": {},
        "at": 0,
    }
    turn.set_step("filing:consent")
    text = _(
        "To file “{name}” I will ask for your name, ID number, phone number and address, and "
        "details the form needs. They are used only to file this dossier with the one-stop "
        "portal and to tell you how it goes, as the law on personal data protection requires "
        "(Decree 13/2023/NĐ-CP, Law 91/2025/QH15). You can stop at any time; nothing is sent "
        "before you confirm. Do you agree?"
    ).format(name=title(turn, form))
    return [
        Reply(
            text,
            (Button(_("I agree"), "f:ok"), Button(_("No, thank you"), "f:no")),
        )
    ]


def title(turn: Turn, form: Form) -> str:
    """A procedure filed here as the citizen reads its name. The portal names it in Vietnamese
    only, which told an English reader nothing: they get the form's English name, and the
    portal's in brackets, the name the desk and the portal's pages know it by."""
    procedure = turn.procedure(form.procedure)
    portal = procedure.name if procedure else form.procedure
    if turn.t.locale == "vi":
        return portal
    return f"{turn.t.gettext(form.name)} ({portal})"


def _resume(turn: Turn, code: str | None = None) -> list[Reply] | None:
    """An unfinished filing (of ``code``, when given) taken up where it stopped, so that going
    to the menu, asking a question or tapping an old button on the way loses nothing typed.

    A filing with no answer yet has nothing typed worth keeping: it starts again. One for a
    person a volunteer helps goes on at that person's details or their consent: the code they
    were given still answers it, where a filing started again had dropped their details and
    met their answer as one for a filing no longer open."""
    filing = _filing(turn)
    form = _form(filing)
    if filing is None or form is None or "consent" not in filing:
        return None
    if not filing["values"] and "for" not in filing:
        return None
    if code is not None and filing["proc"] != code:
        return None
    intro = Reply(
        turn.t.gettext(
            "You have a dossier for “{name}” under way: we go on where you stopped. Everything "
            "you typed is kept."
        ).format(name=title(turn, form))
    )
    if "for" in filing and "for_consent" not in filing:
        if filing["for_at"] < len(ON_BEHALF):
            return [intro, *_ask_for(turn, filing)]
        return [intro, _ask_for_consent(turn, filing)]
    if filing.get("review"):
        return [intro, *_review(turn, filing)]
    if filing.get("answered"):
        return [intro, *_ask_delivery(turn)]
    return [intro, *_ask(turn, filing)]


def consent(turn: Turn, args: list[str], agreed: bool) -> list[Reply] | None:
    """The answer to the notice: agreeing is recorded with its time and text version."""
    filing = _filing(turn)
    if filing is None or turn.state.get("step") != "filing:consent":
        return None
    _ = turn.t.gettext
    if not agreed:
        turn.state.pop("filing", None)
        return menu.show(
            turn,
            _(
                "All right, nothing was kept. You can still file on the portal yourself, or "
                "ask me about the procedure."
            ),
        )
    filing["consent"] = {"at": turn.deps.clock.now().isoformat(), "version": CONSENT_VERSION}
    if not helps_others(turn):
        return _ask(turn, filing)
    return [_ask_whom(turn)]


def _ask_whom(turn: Turn) -> Reply:
    _ = turn.t.gettext
    turn.set_step("filing:whom")
    return Reply(
        _("Who is this dossier for?"),
        (
            Button(_("For me"), "f:w:me"),
            Button(_("For someone I am helping"), "f:w:other"),
            _stop(turn),
        ),
    )


def whom_typed(turn: Turn, text: str) -> list[Reply] | None:
    """Text at "Who is this dossier for?": a button typed by its words or number goes on;
    anything else gets the question again, rather than a search after which "Submit a
    dossier" started the filing over."""
    if _filing(turn) is None or asks_reminder(text):
        return None
    return [Reply(turn.t.gettext("Please tap one of the buttons.")), _ask_whom(turn)]


def consent_typed(turn: Turn, text: str) -> list[Reply] | None:
    """ "đồng ý" or "không" typed at the notice: the same as its buttons; other words are not
    an answer (consent is given only in so many words)."""
    agreed = AGREEMENT.get(fold(text).strip(" .!"))
    return None if agreed is None else consent(turn, [], agreed)


def helps_others(turn: Turn) -> bool:
    """Whether this citizen may file on someone else's behalf: only an approved member of the
    community digital-technology group, as of this very turn."""
    return turn.deps.membership is Membership.APPROVED


def whom(turn: Turn, args: list[str]) -> list[Reply] | None:
    """For oneself, or on behalf of a relative or neighbour (a volunteer helping them)."""
    filing = _filing(turn)
    if filing is None or turn.state.get("step") != "filing:whom" or not args:
        return None
    if args[0] == "me":
        return _ask(turn, filing)
    if args[0] != "other":
        return None
    if not helps_others(turn):
        return _no_longer_member(turn)
    filing["for"] = {}
    filing["for_at"] = 0
    return _ask_for(turn, filing)


def for_typed(turn: Turn, text: str) -> list[Reply] | None:
    """A detail of the person the volunteer files for."""
    filing = _filing(turn)
    at = filing.get("for_at") if filing else None
    if filing is None or not isinstance(at, int) or not 0 <= at < len(ON_BEHALF):
        return None
    if not helps_others(turn):
        return _no_longer_member(turn)
    if (paused := _paused(turn, text)) is not None:
        return paused
    spec = ON_BEHALF[at]
    result = check(spec, text, _today(turn))
    if isinstance(result, Invalid):
        return [_refusal(turn, spec, result)]
    filing["for"][spec.key] = result
    filing["for_at"] = at + 1
    if filing["for_at"] < len(ON_BEHALF):
        return _ask_for(turn, filing)
    return [_ask_for_consent(turn, filing)]


def _ask_for_consent(turn: Turn, filing: dict[str, Any]) -> Reply:
    _ = turn.t.gettext
    turn.set_step("filing:for_consent")
    text = _(
        "Did {name} agree, in front of you, that this dossier is filed for them and that their "
        "details are used for it? Their agreement is recorded with the time."
    ).format(name=filing["for"]["full_name"])
    text += "\n" + _("Or they can confirm on their own phone, with a code I give you.")
    return Reply(
        text,
        (
            Button(_("Yes, they agreed in front of me"), "f:fc:yes"),
            Button(_("They will confirm on their own phone"), "f:fc:code"),
            Button(_("No"), "f:fc:no"),
        ),
    )


def for_consent_typed(turn: Turn, text: str) -> list[Reply] | None:
    """Text at "Did they agree in front of you?": a button typed by its words or number goes
    on; anything else ("có" too: it does not say how they agreed) gets the question again,
    rather than a search that left the filing unable to go on."""
    filing = _filing(turn)
    if filing is None or not isinstance(filing.get("for"), dict) or asks_reminder(text):
        return None
    return [Reply(turn.t.gettext("Please tap one of the buttons.")), _ask_for_consent(turn, filing)]


def for_consent(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The represented person's consent: given in front of the volunteer, or on their own chat
    with a one-time code (the dispatcher makes it; ``for_code`` shows it)."""
    filing = _filing(turn)
    step = turn.state.get("step")
    if filing is None or step not in ("filing:for_consent", "filing:for_code") or not args:
        return None
    if not helps_others(turn):
        return _no_longer_member(turn)
    if args[0] == "code":
        helped = filing["for"]
        turn.effects.append(
            IssueConsentCode(
                filing["key"], filing["proc"], helped["full_name"], helped["relationship"]
            )
        )
        return []
    if step != "filing:for_consent":
        return None
    if args[0] != "yes":
        turn.state.pop("filing", None)
        return menu.show(
            turn,
            turn.t.gettext(
                "Without their agreement the dossier cannot be filed for them. Nothing was kept."
            ),
        )
    filing["for_consent"] = {"method": "in_person", "at": turn.deps.clock.now().isoformat()}
    return _ask(turn, filing)


def for_code(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The code for the person to send from their own app; their answer comes back here."""
    filing = _filing(turn)
    if filing is None or len(args) != 2 or not args[1].isdigit():
        return None
    _ = turn.t.gettext
    code, name = args[0], filing["for"]["full_name"]
    turn.set_step("filing:for_code")
    shown = f"{code[:3]} {code[3:]}"
    where = _SEND_CODE_TO.get(turn.message.ref.channel, _SEND_CODE_ANYWHERE)
    lines = [
        _("Code for {name}: {code} (valid for {minutes} minutes, once only).").format(
            name=name, code=shown, minutes=int(args[1])
        ),
        _(
            "Ask {name} to type just these digits, {code}, in a message from their own phone "
            "to {where}; no sign-up is needed. They will see what you ask to file for them "
            "and tap “{agree}” or “{refuse}”; I will tell you here, and we go on."
        ).format(
            name=name,
            code=shown,
            where=_(where),
            agree=_("Agree"),
            refuse=_("Do not agree"),
        ),
    ]
    return [Reply("\n\n".join(lines), (Button(_("Get a new code"), "f:fc:code"), _stop(turn)))]


_SEND_CODE_TO = {
    "telegram": N_(
        "this same Telegram chat (forward this message to them: tapping its sender opens it)"
    ),
    "zalo": N_("this same Zalo Official Account, the one you are writing to"),
    "messenger": N_("this same Facebook page, on Messenger"),
    "web": N_("this same website (the address in your browser now)"),
}
"""Where the person a volunteer helps sends the consent code, said in words of the app the
volunteer uses: the app's own name ("motcua") means nothing to someone who never used it."""

_SEND_CODE_ANYWHERE = N_("this service on Zalo, Telegram, Messenger or its website")
"""From the terminal, which the person has no way into: any of the apps."""


def for_answered(turn: Turn, _args: list[str], agreed: bool) -> list[Reply]:
    """The person answered on their own chat: go on with the filing, or end it."""
    _ = turn.t.gettext
    facts = turn.message.facts or {}
    filing = _filing(turn)
    if filing is None or filing.get("key") != facts.get("key") or "for_consent" in filing:
        return [Reply(_("An answer came for a filing that is no longer open; nothing was done."))]
    if not helps_others(turn):
        return _no_longer_member(turn)
    name = filing["for"]["full_name"]
    if not agreed:
        turn.state.pop("filing", None)
        return menu.show(
            turn,
            _("{name} did not agree, so the dossier cannot be filed. Nothing was kept.").format(
                name=name
            ),
        )
    filing["for_consent"] = {"method": "code", "at": facts.get("at")}
    intro = Reply(_("{name} agreed on their own phone. Let us go on.").format(name=name))
    return [intro, *_ask(turn, filing)]


def typed(turn: Turn, text: str) -> list[Reply] | None:
    """A typed answer to the current question."""
    filing = _filing(turn)
    form = _form(filing)
    if filing is None or form is None:
        return None
    if asks_reminder(text):
        return [_no_reminder(turn), *_ask(turn, filing)]
    if (paused := _paused(turn, text)) is not None:
        return paused
    spec = form.fields[filing["at"]]
    pressed = _typed_button(turn, spec, text)
    if pressed is not None:
        return pressed
    result = check(spec, text, _today(turn))
    if isinstance(result, Invalid):
        return [_refusal(turn, spec, result)]
    replies = _answered(turn, filing, form, spec, result)
    if spec.kind == "date" and not typed_in_full(text):
        return [_understood(turn, filing, spec, result), *replies]
    return replies


def _understood(turn: Turn, filing: dict[str, Any], spec: Field, value: str) -> Reply:
    """A date told in words or without its year, said back as the full date it was taken for,
    so that a wrong reading is caught before the dossier goes."""
    text = turn.t.gettext("{label}: {date}, as I understood it. You can correct it at the review.")
    label, _help = _worded(turn, filing, spec)
    return Reply(text.format(label=label, date=_shown(turn, spec, value)))


_PAUSE_WORDS = dict.fromkeys((*PAUSE_WORDS, "de lan sau", "later"), "pause")
"""What those who type say to stop for now ("thôi", "dừng lại nhé"): "thôi" was taken as the
applicant's name, "dừng lại" refused as an ID number."""


def _paused(turn: Turn, text: str) -> list[Reply] | None:
    """ "thôi" or "dừng lại" typed at a question: the filing waits, everything typed kept, and
    "Stop filing" is a tap away for whoever meant to throw it away."""
    filing = _filing(turn)
    if filing is None or phrase_kinds(text, _PAUSE_WORDS) != {"pause"}:
        return None
    _ = turn.t.gettext
    turn.set_step("menu")
    text = _(
        "Paused. Everything you typed is kept: “Submit a dossier” goes on from here whenever "
        "you come back. To throw this dossier away instead, tap “Stop filing”."
    )
    go_on = Button(_("Continue"), f"f:go:{filing['proc']}")
    return [Reply(text, (go_on, _stop(turn), menu.menu_button(turn)))]


def _no_reminder(turn: Turn) -> Reply:
    """Said to "nhắc tôi 7 giờ tối mai" typed at a question, which would have been its answer
    (an address of that name went to the portal): reminders are for checklists."""
    return Reply(
        turn.t.gettext(
            "I cannot remind you about a dossier you are filing, but everything you typed is "
            "kept: whenever you come back, “Submit a dossier” goes on from here."
        )
    )


_UNKNOWN_WORDS = frozenset(
    (
        "khong biet",
        "chua biet",
        "khong nho",
        "khong ro",
        "khong co",
        "chua co",
        "khong",
        "don't know",
        "i don't know",
        "none",
    )
)
"""What a citizen types at an optional question they cannot answer, which its help says to
skip ("Bỏ qua nếu bạn không biết"): the skip, not a wrong answer."""


def _typed_button(turn: Turn, spec: Field, text: str) -> list[Reply] | None:
    """A button of the question typed rather than tapped, for a choice its number or another
    word for it ("ba" for "Cha"), for an optional question "không biết". A number is an answer
    anywhere else: "1" is no ID number, but it must not stop the filing either."""
    said = dict(spec.said).get(unicodedata.normalize("NFC", text).strip(" .!").lower())
    if said is not None:
        return choice(turn, [said])
    if spec.optional and fold(text).strip(" .!") in _UNKNOWN_WORDS:
        return skip(turn, [])
    found = typed_button(text, _field_buttons(turn, spec), numbered=len(spec.choices))
    if found is None or found.payload is None:
        return None
    if found.payload.startswith("f:c:"):
        return choice(turn, [found.payload.removeprefix("f:c:")])
    return skip(turn, []) if found.payload == "f:skip" else stop(turn, [])


def choice(turn: Turn, args: list[str]) -> list[Reply] | None:
    """A tapped option of a choice question."""
    filing = _filing(turn)
    form = _form(filing)
    if filing is None or form is None or turn.state.get("step") != "filing:field" or not args:
        return None
    spec = form.fields[filing["at"]]
    if args[0] not in {value for value, _label in spec.choices}:
        return None
    return _answered(turn, filing, form, spec, args[0])


def skip(turn: Turn, _args: list[str]) -> list[Reply] | None:
    """Skip an optional question."""
    filing = _filing(turn)
    form = _form(filing)
    if filing is None or form is None or turn.state.get("step") != "filing:field":
        return None
    spec = form.fields[filing["at"]]
    if not spec.optional:
        return [
            Reply(turn.t.gettext("This question cannot be skipped."), _field_buttons(turn, spec))
        ]
    filing["values"].pop(spec.key, None)
    return _next(turn, filing, form)


def delivery(turn: Turn, args: list[str]) -> list[Reply] | None:
    """Pickup at the desk, or delivery by post (which asks where)."""
    filing = _filing(turn)
    step = turn.state.get("step")
    if filing is None or not args:
        return None
    if args[0] == "same" and step == "filing:post_address":
        # "My address above", offered where the post's address is asked.
        filing["delivery"] = {"method": "post", "address": filing["values"].get("address", "")}
        return _review(turn, filing)
    if step != "filing:delivery":
        return None
    _ = turn.t.gettext
    if args[0] == "pickup":
        filing["delivery"] = {"method": "pickup"}
        return _review(turn, filing)
    if args[0] != "post":
        return None
    turn.set_step("filing:post_address")
    text = _("Where should the post bring the result? Type the full address.")
    return [Reply(text, (Button(_("My address above"), "f:d:same"), _stop(turn)))]


_DELIVERY_WORDS = {
    **dict.fromkeys(
        (
            *("buu dien", "qua buu dien", "gui buu dien", "gui qua buu dien"),
            *("by post", "post", "by mail", "mail", "send it to me", "post it to me"),
        ),
        "post",
    ),
    **dict.fromkeys(
        (
            *("mot cua", "tai mot cua", "nhan tai mot cua", "truc tiep", "nhan truc tiep"),
            *("pick up", "pickup", "at the one stop desk", "one stop desk", "in person"),
            "i will pick it up",
        ),
        "pickup",
    ),
}
"""The two ways of receiving the result in the words citizens type for them."""


def delivery_typed(turn: Turn, text: str) -> list[Reply] | None:
    """ "bưu điện" or "trực tiếp" typed where the delivery is asked: as its buttons. Other words
    get the question again, as the review's do: searched, "at the one-stop desk" was "not
    found" and the question's buttons were gone."""
    methods = phrase_kinds(text, _DELIVERY_WORDS)
    if methods is not None and len(methods) == 1:
        return delivery(turn, [*methods])
    if _filing(turn) is None:
        return None
    tap = Reply(turn.t.gettext("Please tap one of the buttons."))
    return [_no_reminder(turn) if asks_reminder(text) else tap, *_ask_delivery(turn)]


def post_address(turn: Turn, text: str) -> list[Reply] | None:
    """The typed address for delivery by post."""
    filing = _filing(turn)
    if filing is None:
        return None
    if (paused := _paused(turn, text)) is not None:
        return paused
    spec = Field("post_address", "address", "", "")
    result = check(spec, text, _today(turn))
    if isinstance(result, Invalid):
        return [Reply(turn.t.gettext(result.message).format(**result.params), (_stop(turn),))]
    filing["delivery"] = {"method": "post", "address": result}
    return _review(turn, filing)


def change(turn: Turn, args: list[str]) -> list[Reply] | None:
    """From the review: which answer to change, then that question again."""
    filing = _filing(turn)
    form = _form(filing)
    if filing is None or form is None or not str(turn.state.get("step")).startswith("filing:"):
        return None
    if turn.state.get("step") == "filing:sent":
        return None
    _ = turn.t.gettext
    if not args:
        turn.set_step("filing:change")
        buttons = [
            Button(_worded(turn, filing, f)[0], f"f:e:{i}") for i, f in enumerate(form.fields)
        ]
        buttons.append(Button(_("Pickup or post"), "f:e:d"))
        back = Button(_("Back to the review"), "f:rv")
        return [Reply(_("Which answer do you want to change?"), (*buttons, back, _stop(turn)))]
    filing["review"] = True
    if args[0] == "d":
        return _ask_delivery(turn)
    if not args[0].isdigit() or not 0 <= int(args[0]) < len(form.fields):
        return None
    filing["at"] = int(args[0])
    return _ask(turn, filing)


def back(turn: Turn, _args: list[str]) -> list[Reply] | None:
    """ "Back to the review" from the list of answers to change: nothing changed."""
    filing = _filing(turn)
    if filing is None or _form(filing) is None or turn.state.get("step") != "filing:change":
        return None
    return _review(turn, filing)


_REVIEW_WORDS = {
    **dict.fromkeys(SEND_WORDS, "send"),
    **dict.fromkeys(("sua", "sua lai", "change"), "change"),
}
"""The review's two answers in the words citizens type for them ("gửi" for "Gửi hồ sơ")."""

_BACK_WORDS = frozenset(("quay lai", "tro lai", "khong sua", "back", "go back"))
"""Giving up a change, typed at "Which answer do you want to change?"."""


def review_typed(turn: Turn, text: str) -> list[Reply] | None:
    """Text at the review: "gửi" sends, "sửa" changes, and anything that is none of its
    buttons gets the review's buttons again, as a question of the form does, rather than a
    search for a procedure of that name that leaves the dossier unsent. A button typed by its
    words or number, a command ("menu", "hủy") or a reminder asked for goes on as anywhere."""
    filing = _filing(turn)
    if filing is None or _form(filing) is None or asks_reminder(text):
        return None
    word = _REVIEW_WORDS.get(fold(text).strip(" .!"))
    if word == "send":
        return confirm(turn, [])
    if word == "change":
        return change(turn, [])
    [review] = _review(turn, filing)
    _ = turn.t.gettext
    again = _("Please tap a button below: “{send}” files it, “{change}” corrects it.").format(
        send=_("Send the dossier"), change=_("Change an answer")
    )
    return [Reply(again, review.buttons)]


def change_typed(turn: Turn, text: str) -> list[Reply] | None:
    """Text at "Which answer do you want to change?": "quay lại" goes back to the review;
    anything that is none of its buttons gets them again (a label or number goes on)."""
    filing = _filing(turn)
    if filing is None or _form(filing) is None or asks_reminder(text):
        return None
    if fold(text).strip(" .!") in _BACK_WORDS:
        return back(turn, [])
    picker = change(turn, [])
    assert picker is not None
    buttons = picker[0].buttons
    _ = turn.t.gettext
    again = _("Please tap the answer you want to change, or “{back}”.").format(
        back=_("Back to the review")
    )
    return [Reply(again, buttons)]


def papers(turn: Turn, _args: list[str]) -> list[Reply] | None:
    """From the review: ask for the first paper not attached yet."""
    filing = _filing(turn)
    form = _form(filing)
    if filing is None or form is None or turn.state.get("step") != "filing:review":
        return None
    return _ask_paper(turn, filing, form, 0)


def paper_sent(turn: Turn, attachment: Attachment) -> list[Reply] | None:
    """A photo or PDF for the paper asked for: kept, or refused with the reason."""
    asked = _paper_asked(turn)
    if asked is None:
        return None
    filing, form, at = asked
    reason = uploads.refusal(turn, attachment)
    if reason is not None:
        text = reason + "\n" + turn.t.gettext("Everything you typed before is kept.")
        return [Reply(text, _paper_buttons(turn, form.papers[at]))]
    filing.setdefault("papers", {})[form.papers[at].key] = attachment.paper
    return _ask_paper(turn, filing, form, at + 1)


def paper_typed(turn: Turn, _text: str) -> list[Reply] | None:
    """Words where a paper was asked for: say what is expected."""
    asked = _paper_asked(turn)
    if asked is None:
        return None
    _found, form, at = asked
    text = turn.t.gettext(
        "Please send a photo or a PDF file of this paper, or tap “Skip” to bring it to the desk."
    )
    return [Reply(text, _paper_buttons(turn, form.papers[at]))]


def paper_skip(turn: Turn, _args: list[str]) -> list[Reply] | None:
    """Skip a paper: the original is brought to the desk instead."""
    asked = _paper_asked(turn)
    if asked is None:
        return None
    filing, form, at = asked
    return _ask_paper(turn, filing, form, at + 1)


def confirm(turn: Turn, _args: list[str]) -> list[Reply] | None:
    """Send the reviewed dossier, once: a second tap finds it already on its way."""
    _ = turn.t.gettext
    if turn.state.get("step") == "filing:sent":
        return [
            Reply(
                _("This dossier has already been sent. Its receipt comes here."),
                (menu.menu_button(turn),),
            )
        ]
    filing = _filing(turn)
    form = _form(filing)
    if filing is None or form is None or turn.state.get("step") != "filing:review":
        return None
    if "for" in filing and not helps_others(turn):
        return _no_longer_member(turn)
    values = filing["values"]
    request: dict[str, Any] = {
        "procedure_code": form.procedure,
        "applicant": {k: values[k] for k in APPLICANT_KEYS},
        "form": {k: v for k, v in values.items() if k not in APPLICANT_KEYS},
        "delivery": filing["delivery"],
    }
    if isinstance(filing.get("for_consent"), dict):
        request["on_behalf_of"] = {**filing["for"], "consent": filing["for_consent"]}
    # The portal keeps the papers' names in Vietnamese, whatever language the citizen uses.
    official = turn.deps.translator("vi").gettext
    attached = _attached(filing)
    turn.effects.append(
        SubmitDossier(
            key=filing["key"],
            procedure=form.procedure,
            request=request,
            consent_at=filing["consent"]["at"],
            consent_version=filing["consent"]["version"],
            papers=tuple(
                (official(p.label), attached[p.key]) for p in form.papers if p.key in attached
            ),
        )
    )
    communes.remember_near(turn)
    turn.state["filing"] = {"proc": form.procedure, "key": filing["key"], "sent": True}
    turn.set_step("filing:sent")
    return [Reply(_("Sending your dossier to the one-stop portal…"))]


def stop(turn: Turn, _args: list[str]) -> list[Reply] | None:
    """Stop filing; what was typed is forgotten."""
    if turn.state.get("step") == "filing:sent":
        return None
    turn.state.pop("filing", None)
    return menu.show(turn, turn.t.gettext("Filing stopped. Nothing was sent, nothing was kept."))


def receipt(turn: Turn, _args: list[str]) -> list[Reply]:
    """The portal's receipt: code, what happens next, due date, fee and payment, the result."""
    _ = turn.t.gettext
    facts = turn.message.facts or {}
    turn.state.pop("filing", None)
    turn.set_step("menu")
    first = _("Your dossier has been filed. Dossier code: {code}")
    reply = _receipt(turn, first.format(code=facts.get("code", "")))
    procedure = facts.get("procedure")
    return [reply, feedback.prompt(turn, "d", procedure if isinstance(procedure, str) else None)]


def filed_for_you(turn: Turn, _args: list[str]) -> list[Reply]:
    """The receipt as the person a volunteer filed for reads it, on their own chat.

    Whatever they were doing in their chat goes on: this is news, not a step of a filing.
    """
    _ = turn.t.gettext
    first = _("The dossier you agreed to has been filed for you. Dossier code: {code}")
    return [_receipt(turn, first.format(code=(turn.message.facts or {}).get("code", "")))]


def waiting(turn: Turn, _args: list[str]) -> list[Reply]:
    """The portal is down: the dossier is kept and will be sent when it is back."""
    _ = turn.t.gettext
    text = _(
        "The one-stop portal is not answering right now. Your dossier is kept safely and will "
        "be sent automatically as soon as the portal is back; the receipt will come here."
    )
    return [Reply(text, (menu.menu_button(turn),))]


def refused(turn: Turn, _args: list[str]) -> list[Reply]:
    """The portal refused the dossier's content: say so and invite filing again."""
    _ = turn.t.gettext
    turn.state.pop("filing", None)
    turn.set_step("menu")
    text = _(
        "The portal did not accept the dossier: {reason}. Nothing was filed. Please start again "
        "and check your answers."
    ).format(reason=(turn.message.facts or {}).get("reason", "?"))
    return [Reply(text, (menu.menu_button(turn),))]


# --- helpers ---------------------------------------------------------------------------------


def _receipt(turn: Turn, first: str) -> Reply:
    """A receipt under its first line: what happens next, due date, fee and payment, the result."""
    _ = turn.t.gettext
    facts = turn.message.facts or {}
    lines = [
        first,
        _("Keep this code: type it here at any time to see how the dossier is going."),
        _(
            "Next: the one-stop desk checks it and accepts it, or tells you what is missing. I "
            "will write to you here at every step."
        ),
    ]
    if isinstance(facts.get("due_date"), str):
        due = date.fromisoformat(facts["due_date"])
        lines.append(_("Expected result: {date}").format(date=_day(turn, due)))
    amount = facts.get("fee_amount")
    if isinstance(amount, int) and amount > 0:
        lines.append(_("Fee: {amount}").format(amount=turn.t.format_money(amount)))
    else:
        lines.append(_("Fee: free of charge"))
    buttons: list[Button] = []
    if isinstance(facts.get("payment_url"), str):
        lines.append(_("You can pay online with the button below."))
        buttons.append(Button(_("Pay the fee"), url=facts["payment_url"]))
    if facts.get("delivery") == "post":
        lines.append(_("The result will come to you by post."))
    else:
        lines.append(_("Collect the result at the one-stop desk; bring your ID card."))
    procedure = facts.get("procedure")
    form = form_for(procedure) if isinstance(procedure, str) else None
    if (originals := _originals(turn, form)) is not None:
        lines.append(originals)
    return Reply("\n".join(lines), (*buttons, menu.menu_button(turn)))


def _filing(turn: Turn) -> dict[str, Any] | None:
    found = turn.state.get("filing")
    return found if isinstance(found, dict) and isinstance(found.get("proc"), str) else None


def _form(filing: dict[str, Any] | None) -> Form | None:
    if filing is None or filing.get("sent") or not isinstance(filing.get("values"), dict):
        return None
    form = form_for(filing["proc"])
    at = filing.get("at")
    if form is None or not isinstance(at, int) or not 0 <= at < len(form.fields):
        return None
    return form


def _today(turn: Turn) -> date:
    """Today where the citizen is: at 6 in the morning in Vietnam it is still yesterday in UTC."""
    return turn.deps.clock.now().astimezone(VIETNAM).date()


def _day(turn: Turn, value: date) -> str:
    return turn.t.format_date(datetime(value.year, value.month, value.day))


def _stop(turn: Turn) -> Button:
    return Button(turn.t.gettext("Stop filing"), "f:stop")


def _field_buttons(turn: Turn, spec: Field) -> tuple[Button, ...]:
    _ = turn.t.gettext
    buttons = [Button(_(label), f"f:c:{value}") for value, label in spec.choices]
    if spec.optional:
        buttons.append(Button(_("Skip"), "f:skip"))
    buttons.append(_stop(turn))
    return tuple(buttons)


def _ask(turn: Turn, filing: dict[str, Any]) -> list[Reply]:
    form = _form(filing)
    assert form is not None
    _ = turn.t.gettext
    spec = form.fields[filing["at"]]
    turn.set_step("filing:field")
    number, count = _question_number(filing, form)
    label, help_text = _worded(turn, filing, spec)
    text = _("Question {number} of {count}: {label}").format(
        number=number, count=count, label=label
    )
    text += "\n" + help_text
    if spec.optional:
        text += "\n" + _("(optional)")
    return [Reply(text, _field_buttons(turn, spec))]


def _worded(turn: Turn, filing: dict[str, Any], spec: Field) -> tuple[str, str]:
    """A question's label and help in the citizen's language. A volunteer filing for someone is
    the applicant, but a certificate's details are the person's own: asked "your date of
    birth", a volunteer gave theirs; so such a question names the person instead."""
    _ = turn.t.gettext
    helped = filing.get("for")
    name = helped.get("full_name") if isinstance(helped, dict) else None
    if not isinstance(name, str):
        return _(spec.label), _(spec.help)
    label = _(spec.their_label).format(name=name) if spec.their_label else _(spec.label)
    help_text = _(spec.their_help).format(name=name) if spec.their_help else _(spec.help)
    return label, help_text


def _question_number(filing: dict[str, Any], form: Form) -> tuple[int, int]:
    """The question's place among those the citizen is asked, and how many: answers the form
    filled itself are not counted, so the numbers do not jump where one was skipped."""
    filled = set(filing.get("filled", ()))
    asked = [
        index
        for index, field in enumerate(form.fields)
        if field.key not in filled or index == filing["at"]
    ]
    return asked.index(filing["at"]) + 1, len(asked)


def _refusal(turn: Turn, spec: Field, invalid: Invalid) -> Reply:
    _ = turn.t.gettext
    text = _(invalid.message).format(**invalid.params)
    return Reply(
        text + "\n" + _("Everything you typed before is kept."), _field_buttons(turn, spec)
    )


def _answered(
    turn: Turn, filing: dict[str, Any], form: Form, spec: Field, value: str
) -> list[Reply]:
    filing["values"][spec.key] = value
    if spec.key in (filled := filing.setdefault("filled", [])):
        filled.remove(spec.key)  # typed now: the citizen's own answer
    unfilled = _fill_known(filing, form)
    if unfilled is not None and filing.get("review"):
        filing["at"] = unfilled
        return _ask(turn, filing)
    return _next(turn, filing, form)


def _fill_known(filing: dict[str, Any], form: Form) -> int | None:
    """Fill the answers the form already holds (the mother's name when the filer is the
    mother), kept in step with the answers they come from; an answer changed at the review
    ("I am the father" after all) can leave one to ask: its index, if so."""
    values, filled = filing["values"], filing.setdefault("filled", [])
    if "for" in filing:
        return None  # a volunteer filing for someone: "you" in the form is not that person
    for index, spec in enumerate(form.fields):
        known = spec.known
        if known is None:
            continue
        holds = values.get(known.when) == known.value and isinstance(values.get(known.source), str)
        if holds and (spec.key in filled or spec.key not in values):
            values[spec.key] = values[known.source]
            if spec.key not in filled:
                filled.append(spec.key)
        elif not holds and spec.key in filled:
            values.pop(spec.key, None)
            filled.remove(spec.key)
            return index
    return None


def _next(turn: Turn, filing: dict[str, Any], form: Form) -> list[Reply]:
    if filing.get("review"):
        return _review(turn, filing)
    filing["at"] += 1
    while filing["at"] < len(form.fields) and form.fields[filing["at"]].key in filing.get(
        "filled", ()
    ):
        filing["at"] += 1
    if filing["at"] < len(form.fields):
        return _ask(turn, filing)
    filing["at"] = len(form.fields) - 1
    filing["answered"] = True
    return _ask_delivery(turn)


def _ask_for(turn: Turn, filing: dict[str, Any]) -> list[Reply]:
    _ = turn.t.gettext
    spec = ON_BEHALF[filing["for_at"]]
    turn.set_step("filing:for")
    text = _("About the person you are helping ({number} of {count}): {label}").format(
        number=filing["for_at"] + 1, count=len(ON_BEHALF), label=_(spec.label)
    )
    return [Reply(text + "\n" + _(spec.help), (_stop(turn),))]


def _ask_delivery(turn: Turn) -> list[Reply]:
    _ = turn.t.gettext
    turn.set_step("filing:delivery")
    text = _("How do you want to receive the result?")
    return [
        Reply(
            text,
            (
                Button(_("Pick up at the one-stop desk"), "f:d:pickup"),
                Button(_("By post"), "f:d:post"),
                _stop(turn),
            ),
        )
    ]


def _review(turn: Turn, filing: dict[str, Any]) -> list[Reply]:
    form = _form(filing)
    assert form is not None
    _ = turn.t.gettext
    filing["review"] = True
    turn.set_step("filing:review")
    lines = [_("Please check your dossier for “{name}”:").format(name=title(turn, form))]
    helped = filing.get("for")
    if isinstance(helped, dict) and filing.get("for_consent"):
        shown = (
            _("Filed for: {name} (you are their {relationship}), who agreed on their own phone")
            if filing["for_consent"].get("method") == "code"
            else _("Filed for: {name} (you are their {relationship}), who agreed in front of you")
        )
        lines.append(
            "• "
            + shown.format(
                name=helped.get("full_name", ""), relationship=helped.get("relationship", "")
            )
        )
    for spec in form.fields:
        value = filing["values"].get(spec.key)
        line = f"• {_worded(turn, filing, spec)[0]}: {_shown(turn, spec, value)}"
        if spec.key in filing.get("filled", ()):
            line += " " + _("(filled in)")
        lines.append(line)
    method = filing.get("delivery", {}).get("method")
    if method == "post":
        where = _("by post to {address}").format(address=filing["delivery"].get("address", ""))
    else:
        where = _("pick up at the one-stop desk")
    lines.append("• " + _("Result: {how}").format(how=where))
    attached = _attached(filing)
    for paper in form.papers:
        state = _("attached") if paper.key in attached else _("not attached")
        lines.append(f"📎 {_(paper.label)}: {state}")
    if (originals := _originals(turn, form)) is not None:
        lines.append(originals)
    buttons = [Button(_("Send the dossier"), "f:send")]
    if any(p.key not in attached for p in form.papers):
        buttons.append(Button(_("Attach papers"), "f:pp"))
    buttons += [Button(_("Change an answer"), "f:chg"), _stop(turn)]
    return [Reply("\n".join(lines), tuple(buttons))]


def _originals(turn: Turn, form: Form | None) -> str | None:
    """The originals to bring to the desk, said at the review and again on the receipt, the
    message citizens keep."""
    if form is None or not form.papers:
        return None
    _ = turn.t.gettext
    names = "; ".join(_(p.label) for p in form.papers)
    return _("Bring the originals of these papers when you collect the result: {papers}").format(
        papers=names
    )


def _paper_asked(turn: Turn) -> tuple[dict[str, Any], Form, int] | None:
    """The filing, its form and the index of the paper asked for, while one is."""
    filing = _filing(turn)
    form = _form(filing)
    at = filing.get("paper_at") if filing else None
    if turn.state.get("step") != "filing:paper" or filing is None or form is None:
        return None
    return (filing, form, at) if isinstance(at, int) and 0 <= at < len(form.papers) else None


def _attached(filing: dict[str, Any]) -> dict[str, int]:
    found = filing.get("papers")
    if not isinstance(found, dict):
        return {}
    return {k: v for k, v in found.items() if isinstance(v, int)}


def _ask_paper(turn: Turn, filing: dict[str, Any], form: Form, start: int) -> list[Reply]:
    """The next paper from ``start`` not attached yet; the review when none is left."""
    attached = _attached(filing)
    missing = [i for i in range(start, len(form.papers)) if form.papers[i].key not in attached]
    if not missing:
        filing.pop("paper_at", None)
        return _review(turn, filing)
    _ = turn.t.gettext
    filing["paper_at"] = missing[0]
    paper = form.papers[missing[0]]
    turn.set_step("filing:paper")
    text = _(
        "Send a photo (JPEG or PNG) or a PDF file of: {paper}. At most {mb} MB; photos of the "
        "whole page, readable."
    ).format(paper=_(paper.label), mb=MAX_PAPER_BYTES // (1024 * 1024))
    return [Reply(text, _paper_buttons(turn, paper))]


def _paper_buttons(turn: Turn, paper: Paper) -> tuple[Button, ...]:
    _ = turn.t.gettext
    skip = _("Skip (optional)") if paper.optional else _("Skip: I will bring it")
    return (Button(skip, "f:ps"), _stop(turn))


def _shown(turn: Turn, spec: Field, value: Any) -> str:
    _ = turn.t.gettext
    if not isinstance(value, str):
        return _("(skipped)")
    if spec.kind == "date":
        return _day(turn, date.fromisoformat(value))
    if spec.kind == "choice":
        return next((_(label) for v, label in spec.choices if v == value), value)
    if spec.kind == "phone":
        return shown_phone(value)
    return value


def _no_longer_member(turn: Turn) -> list[Reply]:
    """A filing for someone else by a citizen who is not (or no longer) an approved member of
    the digital-technology group: it ends, and nothing is sent."""
    turn.state.pop("filing", None)
    return menu.show(
        turn,
        turn.t.gettext(
            "Only members of the digital-technology group can file for someone else, and you "
            "are not one now. This filing was stopped and nothing was sent."
        ),
    )
