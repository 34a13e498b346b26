"""Questions about procedures: search, "which case is yours?", the answer card, other results."""

from __future__ import annotations

import dataclasses

from dialogs import state as states
from dialogs.context import Turn
from dialogs.flows import card, menu
from dialogs.messages import Button, Reply
from dialogs.step import NoteQuestion
from dialogs.text import asks_papers
from knowledge.model import Procedure
from knowledge.questions import AnswerKind, HelpAnswer

MAX_CHOICES = 5
"""At most this many cases are offered at once; more would overwhelm on a phone."""

READS = MAX_CHOICES + 3
"""How many procedures a question's answer is read from: the cases offered and a few more, so
that a card's own copies at other levels do not hide a rival scoring level with it (the near
tie is judged among these). The benchmarks answer with the same number, to measure what the
chat shows."""

MAX_KEPT_QUESTION_CHARS = 300
"""The question kept for "Not what I meant": enough for staff to see what was asked."""


def ask(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """Invite a question in the citizen's own words."""
    turn.set_step("qa:ask")
    return [
        Reply(
            turn.t.gettext(
                "Type what you need in your own words, for example: "
                "“lam can cuoc”, “đăng ký khai sinh”, “xin giấy độc thân”."
            ),
            (menu.menu_button(turn),),
        )
    ]


def question(turn: Turn, query: str) -> list[Reply]:
    """Answer a free-text question.

    Portal help or the legal disclaimer when the question is about those; otherwise a card, a
    choice between close variants, guesses offered as guesses, or a kind no.
    """
    answer = turn.deps.knowledge.answer(query, locale=turn.t.locale, limit=READS)
    result = answer.result
    best = turn.procedure(result.match.code) if result.match else None
    turn.state.pop("q", None)
    code = best.code if best else None
    if answer.kind is AnswerKind.DECLINED and answer.reply is not None:
        _note(turn, "declined", code)
        return declined(turn, answer.reply)
    if answer.kind is AnswerKind.HELP and answer.help is not None:
        _note(turn, "help", code)
        return portal_help(turn, answer.help, best)
    if answer.kind is AnswerKind.LAW:
        _note(turn, "law", code, query)
        return about_law(turn, best)
    if best is None:
        guesses = _existing(turn, [hit.code for hit in result.candidates])
        _note(turn, "unsure" if guesses else "none", None, query)
        return unsure(turn, guesses[:MAX_CHOICES]) if guesses else not_found(turn)
    _note(turn, "answered", code)
    turn.state["q"] = query[:MAX_KEPT_QUESTION_CHARS]
    variants = _existing(turn, [hit.code for hit in result.variants if hit.code != best.code])
    others = [hit.code for hit in result.alternatives if not hit.variant and hit.code != best.code]
    turn.state["alts"] = others[:MAX_CHOICES]
    if variants:
        return choose(turn, [best, *variants][:MAX_CHOICES])
    turn.state.pop("choices", None)
    return with_miss(turn, card.answer(turn, best))


def _note(turn: Turn, outcome: str, procedure: str | None, text: str | None = None) -> None:
    turn.effects.append(NoteQuestion(outcome, procedure, text))


def with_miss(turn: Turn, replies: list[Reply]) -> list[Reply]:
    """Add "Not what I meant" to an answer card given to a typed question."""
    if "q" not in turn.state or not replies:
        return replies
    last = replies[-1]
    button = Button(turn.t.gettext("Not what I meant"), "qa:miss")
    buttons = (*last.buttons[:-1], button, *last.buttons[-1:])
    return [*replies[:-1], dataclasses.replace(last, buttons=buttons)]


def miss(turn: Turn, _args: list[str] | None = None) -> list[Reply] | None:
    """ "Not what I meant": keep the question for staff to review, and offer other ways on."""
    query = turn.state.pop("q", None)
    if not isinstance(query, str):
        return None
    _ = turn.t.gettext
    procedure = turn.state.get("proc")
    turn.effects.append(
        NoteQuestion("not_helpful", procedure if isinstance(procedure, str) else None, query)
    )
    turn.set_step("qa:ask")
    return [
        Reply(
            _(
                "Thank you for telling me. Your question goes to the staff so the assistant "
                "learns it. Meanwhile, try other words, look at other procedures or talk to staff."
            ),
            (
                Button(_("Other procedures"), "qa:more"),
                Button(_("Talk to staff"), "m:staff"),
                menu.menu_button(turn),
            ),
        )
    ]


def declined(turn: Turn, reply: str) -> list[Reply]:
    """A question staff marked as out of scope: their reply, and a person to talk to."""
    _ = turn.t.gettext
    turn.set_step("qa:declined")
    return [Reply(reply, (Button(_("Talk to staff"), "m:staff"), menu.menu_button(turn)))]


def _numbered(options: list[Procedure]) -> str:
    """The options' names numbered as their buttons are, each province's own version named by
    its province: the name alone is the same for all of them."""
    return "\n".join(
        f"{n}. {p.name}" + (f" ({province})" if (province := card.issuing_province(p)) else "")
        for n, p in enumerate(options, start=1)
    )


def choose(turn: Turn, options: list[Procedure]) -> list[Reply]:
    """Ask which of several close variants applies, before answering."""
    turn.state["choices"] = [p.code for p in options]
    turn.set_step("qa:choose_variant")
    listed = _numbered(options)
    labels = card.variant_labels(options)
    return [
        Reply(
            turn.t.gettext("There are a few similar cases. Which one is yours?") + "\n" + listed,
            tuple(
                Button(label, f"proc:{p.code}") for label, p in zip(labels, options, strict=True)
            ),
        )
    ]


def papers_before_choosing(turn: Turn, text: str) -> list[Reply] | None:
    """ "cần giấy tờ gì" typed at a list of close cases or guesses, before one is chosen: the
    papers are those of the one chosen, so the list is asked again. Searched, it named no
    procedure and was answered "not found", the list gone."""
    if not asks_papers(text):
        return None
    step = turn.state.get("step")
    if step == "qa:choose_variant":
        options = _existing(turn, states.codes(turn.state, "choices"))
        listed = choose(turn, options) if options else None
    elif step == "qa:unsure":
        guesses = _existing(turn, states.codes(turn.state, "alts"))
        listed = unsure(turn, guesses) if guesses else None
    else:
        return None
    if listed is None:
        return None
    first = turn.t.gettext("The papers depend on the procedure: choose yours first.")
    return [Reply(first), *listed]


def show(turn: Turn, args: list[str]) -> list[Reply] | None:
    """A "proc:<code>" button: the answer card for that procedure."""
    procedure = turn.procedure(args[0]) if len(args) == 1 else None
    if procedure is None:
        return None
    others = [c for c in states.codes(turn.state, "choices") if c != procedure.code]
    turn.state["alts"] = list(dict.fromkeys(others + states.codes(turn.state, "alts")))[
        :MAX_CHOICES
    ]
    turn.state.pop("choices", None)
    return with_miss(turn, card.answer(turn, procedure))


def others(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """Other procedures the last search found, or an invitation to ask again."""
    current = turn.state.get("proc")
    options = _existing(turn, [c for c in states.codes(turn.state, "alts") if c != current])
    if not options:
        return ask(turn)
    turn.set_step("qa:others")
    listed = _numbered(options)
    labels = [card.shorten(card.short_name(p.name)) for p in options]
    return [
        Reply(
            turn.t.gettext("Maybe you meant one of these:") + "\n" + listed,
            (
                *(
                    Button(label, f"proc:{p.code}")
                    for label, p in zip(labels, options, strict=True)
                ),
                Button(turn.t.gettext("Ask something else"), "m:ask"),
            ),
        )
    ]


def portal_help(turn: Turn, help_answer: HelpAnswer, involved: Procedure | None) -> list[Reply]:
    """A short curated answer about using the portal, with where it comes from."""
    _ = turn.t.gettext
    turn.set_step("qa:help")
    source = _("Source: {sources}").format(sources="\n".join(help_answer.sources))
    text = help_answer.text(turn.t.locale) + "\n" + source
    return [Reply(text, (*_offer(turn, involved), menu.menu_button(turn)))]


def about_law(turn: Turn, involved: Procedure | None) -> list[Reply]:
    """A legal question: say what the assistant does and where to ask; offer the procedure."""
    _ = turn.t.gettext
    turn.set_step("qa:law")
    text = _(
        "I explain administrative procedures; I cannot give legal advice on fines, whether "
        "something is lawful, or disputes. Please ask the one-stop shop of your commune, or the "
        "State legal aid centre of your province, which advises free of charge those entitled "
        "to legal aid."
    )
    if involved is not None:
        text += "\n" + _("The procedure your question involves: {name}").format(name=involved.name)
    return [
        Reply(
            text,
            (
                *_offer(turn, involved),
                Button(_("Talk to staff"), "m:staff"),
                menu.menu_button(turn),
            ),
        )
    ]


def _offer(turn: Turn, procedure: Procedure | None) -> tuple[Button, ...]:
    """A button to the procedure a help or legal question also names, if any."""
    if procedure is None:
        return ()
    return (Button(card.shorten(card.short_name(procedure.name)), f"proc:{procedure.code}"),)


def unsure(turn: Turn, guesses: list[Procedure]) -> list[Reply]:
    """Nothing fits surely: say so, and offer the close procedures as guesses, never as the answer.

    A guess known only from the portal's catalogue is marked, so a citizen knows before tapping
    that it comes without a paper list.
    """
    _ = turn.t.gettext
    turn.state["alts"] = [p.code for p in guesses]
    turn.state.pop("choices", None)
    turn.set_step("qa:unsure")
    listed = "\n".join(
        f"{n}. {p.name}" + (" " + _("(name and official page only)") if p.catalogue_only else "")
        for n, p in enumerate(guesses, start=1)
    )
    labels = [card.shorten(card.short_name(p.name)) for p in guesses]
    return [
        Reply(
            _("I am not sure which procedure you mean. Did you mean one of these?") + "\n" + listed,
            (
                *(
                    Button(label, f"proc:{p.code}")
                    for label, p in zip(labels, guesses, strict=True)
                ),
                Button(_("None of these"), "m:ask"),
                Button(_("Talk to staff"), "m:staff"),
            ),
        )
    ]


def not_found(turn: Turn) -> list[Reply]:
    """Nothing fits: say so kindly, never invent a procedure, and offer a person."""
    _ = turn.t.gettext
    turn.set_step("qa:not_found")
    return [
        Reply(
            _(
                "Sorry, I could not find a procedure for that. Try a few plain words about what "
                "you need, for example “đăng ký khai sinh” or “làm căn cước”, or ask the "
                "commune staff."
            ),
            (menu.menu_button(turn), Button(_("Talk to staff"), "m:staff")),
        )
    ]


def _existing(turn: Turn, codes: list[str]) -> list[Procedure]:
    found = (turn.procedure(code) for code in dict.fromkeys(codes))
    return [p for p in found if p is not None]
