"""The document checklist: the citizen's case first, then one paper at a time, then a summary.

When a procedure's papers differ by case, the citizen first picks the situation that is theirs
(buttons in the portal's words, the usual case first); the walk-through then holds only the
papers everyone brings and that case's papers (see ``dialogs.flows.papers``), never the papers
of cases that exclude each other. The state keeps, per procedure code::

    {"at": 3,                  # index of the current node
     "n": 9,                   # number of papers in all sections, to notice changed data
     "case": 2,                # the chosen case's section, -1 = the usual case, absent = not yet
     "docs": {"0.1": "have"},  # "<section>.<paper>" -> "have" | "miss" | "na"
     "done": false,
     "seen": "2026-11-24T08:00:00+00:00"}

so a citizen can stop at any point and resume days later exactly where they left off.
"""

from __future__ import annotations

import re
from typing import Any

from dialogs import state as states
from dialogs.context import Turn
from dialogs.filing.forms import N_
from dialogs.flows import card, feedback, menu, papers
from dialogs.messages import Button, Reply
from dialogs.ports import Translator
from dialogs.step import NoteMilestone
from dialogs.text import (
    PAUSE_WORDS,
    asks_papers,
    asks_reminder,
    phrase_kinds,
    small_talk,
    typed_button,
)
from knowledge.model import Document, Procedure
from knowledge.text import fold

Node = tuple[int, int]
"""(section index, paper index)."""

ANSWERS = {"have", "miss", "na"}
MAX_CHECKLISTS = 20
"""Checklists kept per conversation; the least recently used goes first, so state stays small."""

ITEM_CHARS = 300
"""A document's name is cut to this in the walk-through; "What is this?" shows all of it."""

MAX_CASES = 8
"""Case buttons offered at once; a phone shows no more without scrolling."""

CASE_CHARS = 64
"""A case's title is cut to this in the list above the buttons, so the question fits a phone."""

USUAL = -1
"""The "case" of a citizen whose situation is none of the special ones."""


def size(procedure: Procedure) -> int:
    """Papers in every section: a change means the official list changed."""
    return sum(len(section.documents) for section in papers.sections(procedure))


def cases(procedure: Procedure) -> list[int]:
    """Indices of the sections that are cases, in the order the importer put them."""
    return [gi for gi, s in enumerate(papers.sections(procedure)) if s.case and s.documents]


def nodes(procedure: Procedure, case: int | None = USUAL) -> list[Node]:
    """The papers the citizen goes through: everyone's, then the chosen case's, then to show."""
    sequence: list[Node] = []
    for gi, section in enumerate(papers.sections(procedure)):
        if section.case and gi != case:
            continue
        sequence.extend((gi, di) for di in range(len(section.documents)))
    return sequence


def _chosen(record: dict[str, Any]) -> int | None:
    value = record.get("case")
    return value if isinstance(value, int) else None


def papers_asked(turn: Turn, text: str) -> list[Reply] | None:
    """ "cần giấy tờ gì" typed under a card asks for that procedure's papers, as its checklist
    button does; searched, it named no procedure and was answered "not found"."""
    code = turn.state.get("proc")
    if not isinstance(code, str) or not asks_papers(text):
        return None
    return go(turn, [code])


def go(turn: Turn, args: list[str]) -> list[Reply] | None:
    """Start a checklist, or resume it exactly where the citizen left off."""
    procedure = turn.procedure(args[0]) if len(args) == 1 else None
    if procedure is None:
        return None
    _ = turn.t.gettext
    turn.state["proc"] = procedure.code
    if not size(procedure):
        turn.set_step("qa:answer")
        return [
            Reply(
                _("The portal lists no documents for this procedure. Ask the commune staff."),
                (Button(_("Talk to staff"), "m:staff"), menu.menu_button(turn)),
            )
        ]
    record = states.checklist(turn.state, procedure.code)
    intro = None
    if record is not None and record.get("n") != size(procedure):
        intro = _("The official list of documents has changed, so we start again.")
        record = None
    if record is None:
        record = _new(turn, procedure)
        turn.effects.append(NoteMilestone("checklist_opened", procedure.code))
        intro = intro or _("Let us go through the documents one by one.")
    elif record.get("done"):
        return summarise(turn, procedure, record)
    elif record.get("at", 0) > 0:
        intro = _("Welcome back! We continue where you stopped.")
    return current(turn, procedure, record, intro)


def _new(turn: Turn, procedure: Procedure) -> dict[str, Any]:
    record: dict[str, Any] = {"at": 0, "n": size(procedure), "docs": {}}
    if not cases(procedure):
        record["case"] = USUAL
    kept = states.checklists(turn.state)
    for stale in sorted(kept, key=lambda code: str(kept[code].get("seen", "")))[
        : max(0, len(kept) - MAX_CHECKLISTS + 1)
    ]:
        del kept[stale]
    kept[procedure.code] = record
    _skip(procedure, record)
    return record


def case_label(title: str, limit: int = card.LABEL_CHARS, procedure: str = "") -> str:
    """A case in the citizen's words for a button: "Trường hợp trẻ em bị bỏ rơi" -> "Trẻ em bị
    bỏ rơi"; the procedure's own name is left out ("Đăng ký thường trú vào chỗ ở ..." -> "Vào
    chỗ ở ...")."""
    words = _CASE_LEAD.sub("", title).strip(" ,:;-–")
    name = card.short_name(procedure)
    if name and words.lower().startswith(name.lower() + " "):
        words = words[len(name) :].strip(" ,:;-–")
    return card.shorten(words[:1].upper() + words[1:] if words else title, limit)


_CASE_LEAD = re.compile(
    r"^(?:[-*+•]\s*)*(?:\(?[a-zđ0-9]{1,3}(?:\.\d+)*[.)]\s*)?"
    r"(?:(?:đối với|trường hợp)\s+)+(?:(?:là|của|khi|có)\s+)?",
    re.IGNORECASE,
)


def _case_choices(turn: Turn, procedure: Procedure) -> tuple[list[Button], list[str]]:
    """The case buttons and the titles listed above them, numbered alike: the usual case first
    when there is one, then each special case."""
    _ = turn.t.gettext
    parts = papers.sections(procedure)
    choices = cases(procedure)
    buttons: list[Button] = []
    if any(not s.case and not s.present and s.documents for s in parts):
        buttons.append(Button(_("The usual case, none of these"), f"cl:case:{procedure.code}:u"))
    labels = [case_label(parts[gi].title, procedure=procedure.name) for gi in choices]
    for index, label in enumerate(labels):
        if labels.count(label) > 1:  # same first words: the words that set it apart
            other = parts[choices[index - 1 if index else 1]].title
            labels[index] = card.shorten(card.distinct(parts[choices[index]].title, other))
    buttons.extend(
        Button(label, f"cl:case:{procedure.code}:{gi}")
        for label, gi in zip(labels[:MAX_CASES], choices[:MAX_CASES], strict=False)
    )
    titles = [parts[gi].title for gi in choices[:MAX_CASES]]
    if len(buttons) > len(titles):
        titles.insert(0, buttons[0].label)
    return buttons, titles


def ask_case(turn: Turn, procedure: Procedure, intro: str | None = None) -> list[Reply]:
    """Which situation is the citizen's? The usual case first, then each special one."""
    _ = turn.t.gettext
    turn.set_step("checklist:case")
    buttons, titles = _case_choices(turn, procedure)
    # Numbered as the buttons are: a citizen who answers with a number gets what they read.
    listed = "\n".join(
        f"{number}. {card.shorten(title, CASE_CHARS)}"
        for number, title in enumerate(titles, start=1)
    )
    text = _("The papers depend on your situation. Which one is yours?")
    head = [intro] if intro else []
    return [Reply("\n\n".join([*head, f"{text}\n{listed}"]), (*buttons, menu.menu_button(turn)))]


def case_typed(turn: Turn, text: str) -> list[Reply] | None:
    """Text at the case question: a case by its number, its button's words or words of its
    title ("bỏ rơi"); anything else is asked again with the buttons, as a filing's question is.
    Commands ("menu", "hủy", the menu's words) never reach here, so they still leave; so does
    a reminder asked for in words, which keeps this checklist's place."""
    code = turn.state.get("proc")
    procedure = turn.procedure(code) if isinstance(code, str) else None
    if procedure is None or states.checklist(turn.state, procedure.code) is None:
        return None
    if asks_reminder(text):
        return None
    buttons, titles = _case_choices(turn, procedure)
    found = typed_button(text, buttons, numbered=len(buttons))
    words = set(fold(text).split())
    if found is None and words:
        holding = [b for b, title in zip(buttons, titles, strict=True) if words <= _words(title)]
        found = holding[0] if len(holding) == 1 else None
    if found is not None and found.payload is not None:
        return choose_case(turn, found.payload.split(":")[2:])
    again = turn.t.gettext(
        "Please tap the button of your case, or type its number. To do something else, type “menu”."
    )
    return [Reply(again), *ask_case(turn, procedure)]


def _words(title: str) -> set[str]:
    """A title's words without diacritics, to find the words a citizen typed among them."""
    return set(re.findall(r"\w+", fold(title)))


def choose_case(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The citizen picked their case: the walk-through now holds only the papers it needs."""
    procedure = turn.procedure(args[0]) if len(args) == 2 else None
    record = states.checklist(turn.state, args[0]) if procedure else None
    if procedure is None or record is None or _chosen(record) is not None:
        return None
    if args[1] == "u":
        chosen = USUAL
    elif args[1].isdigit() and int(args[1]) in cases(procedure):
        chosen = int(args[1])
    else:
        return None
    record["case"] = chosen
    _skip(procedure, record)
    return _finished(turn, procedure, record, current(turn, procedure, record))


def current(
    turn: Turn, procedure: Procedure, record: dict[str, Any], intro: str | None = None
) -> list[Reply]:
    """Show where the checklist is: the case question, a document, or the summary."""
    record["seen"] = turn.deps.clock.now().isoformat()
    case = _chosen(record)
    if case is None:
        return ask_case(turn, procedure, intro)
    if record.get("done"):
        return summarise(turn, procedure, record)
    _ = turn.t.gettext
    at = record["at"]
    gi, di = nodes(procedure, case)[at]
    group = papers.sections(procedure)[gi]
    head = [intro] if intro else []
    turn.set_step("checklist:item")
    done, total = progress(procedure, record)
    document = group.documents[di]
    lines = [_("Document {current}/{total}:").format(current=done + 1, total=total)]
    if group.title and not group.case:
        lines.append(card.shorten(group.title, ITEM_CHARS))
    lines.append(card.shorten(document.name, ITEM_CHARS))
    if group.present:
        lines.append(_("(to show at the counter, not to hand in)"))
    if amount := quantity(turn.t, document):
        lines.append(amount)
    lines.append(_("Do you have it?"))
    return [Reply("\n\n".join([*head, "\n".join(lines)]), item_buttons(turn, procedure, at))]


def item_buttons(turn: Turn, procedure: Procedure, at: int) -> tuple[Button, ...]:
    """The four answers to a document, plus a pause."""
    _ = turn.t.gettext
    code = procedure.code
    return (
        Button(_("Have it"), f"cl:have:{code}:{at}"),
        Button(_("Don't have it yet"), f"cl:miss:{code}:{at}"),
        Button(_("Not my case"), f"cl:na:{code}:{at}"),
        Button(_("What is this?"), f"cl:what:{code}:{at}"),
        Button(_("Pause"), f"cl:stop:{code}"),
    )


def progress(procedure: Procedure, record: dict[str, Any]) -> tuple[int, int]:
    """(documents checked, documents of the citizen's case), for "3/7 checked".

    Progress is always told as documents already checked; the walk-through itself shows the
    next one ("Document 4/7"), so pausing after the third says 3/7 and resuming shows 4/7.
    """
    case = _chosen(record)
    total = len(nodes(procedure, USUAL if case is None else case))
    return min(record["at"], total), total


def quantity(t: Translator, document: Document) -> str:
    """ "1 original, 2 copies" from the portal's counts; empty when it gives none."""
    parts = []
    if document.originals:
        parts.append(
            t.ngettext("{n} original", "{n} originals", document.originals).format(
                n=document.originals
            )
        )
    if document.copies:
        parts.append(
            t.ngettext("{n} copy", "{n} copies", document.copies).format(n=document.copies)
        )
    return ", ".join(parts)


def _at_node(turn: Turn, args: list[str]) -> tuple[Procedure, dict[str, Any]] | None:
    """The procedure and record when a "cl:<answer>:<code>:<index>" button is still current."""
    if len(args) != 2 or not args[1].isdigit():
        return None
    procedure = turn.procedure(args[0])
    record = states.checklist(turn.state, args[0])
    if procedure is None or record is None or record.get("done"):
        return None
    case = _chosen(record)
    at = int(args[1])
    if case is None or record.get("at") != at or record.get("n") != size(procedure):
        return None
    if at >= len(nodes(procedure, case)):
        return None
    return procedure, record


def answer(turn: Turn, args: list[str], kind: str) -> list[Reply] | None:
    """Record "have", "miss" or "na" for the current document and move on."""
    found = _at_node(turn, args)
    if found is None or kind not in ANSWERS:
        return None
    procedure, record = found
    gi, di = nodes(procedure, record["case"])[record["at"]]
    record["docs"][f"{gi}.{di}"] = kind
    record["at"] += 1
    _skip(procedure, record)
    return _finished(turn, procedure, record, current(turn, procedure, record))


_TYPED_ANSWERS = {
    **dict.fromkeys(("co", "co san", "co du", "co ca", "yes", "y", "have it", "i have it"), "have"),
    **dict.fromkeys(
        (
            *("chua", "chua co", "khong co", "ko co", "k co", "kg co", "khong", "ko", "k"),
            *(
                "no",
                "not yet",
                "don t have it",
                "i don t have it",
                "thieu",
                "chua lam",
                "chua xin",
                "het han",
            ),
        ),
        "miss",
    ),
    **dict.fromkeys(("mat", "bi mat", "lam mat", "lost", "lost it", "i lost it"), "lost"),
    **dict.fromkeys(
        (
            *("khong phai", "ko phai", "k phai", "khong can", "ko can", "k can"),
            *("khong lien quan", "khong ap dung", "not mine", "not my case"),
        ),
        "na",
    ),
    **dict.fromkeys(
        (
            *("khong biet", "ko biet", "k biet", "chua biet", "khong hieu", "chua hieu"),
            *("la gi", "la cai gi", "giay gi", "cai gi", "nghia la gi", "giai thich", "what"),
            *("what is this", "what is it"),
        ),
        "what",
    ),
    **dict.fromkeys((*PAUSE_WORDS, "dung", "nghi"), "pause"),
    **dict.fromkeys(("bo qua", "tiep", "skip", "next"), "skip"),
    **dict.fromkeys(
        ("giay", "giay nay", "giay do", "cai nay", "cai do", "cua toi", "truong hop"), ""
    ),
}
"""Answers to "Do you have it?" in words, as those who type rather than tap write them ("có
rồi", "chưa có ạ", "mất rồi"), the answer buttons', "Giấy này là gì?"'s ("không biết") and
"Tạm dừng"'s ("dừng lại"); "bỏ qua" and a paper lost are a paper not had yet, said so."""

_SAID_SO = {
    "skip": N_("Skipped: I put this paper on your list of what is still missing."),
    "lost": N_("Lost: I put this paper on your list of what is still missing."),
}


def typed(turn: Turn, text: str) -> list[Reply] | None:
    """ "có", "chưa có", "mất rồi", "không phải", "không biết", "dừng lại", "bỏ qua" typed at a
    document: what its buttons do; "tạm biệt" pauses too. "ok" or "cảm ơn", which answer
    nothing, get the document and its buttons again; other words are a question."""
    code = turn.state.get("proc")
    if not isinstance(code, str) or (record := states.checklist(turn.state, code)) is None:
        return None
    at = [code, str(record.get("at"))]
    kinds = phrase_kinds(text, _TYPED_ANSWERS)
    talk = small_talk(text) if kinds is None else None
    if kinds and "what" in kinds:
        return what(turn, at)
    if talk == "bye" or kinds == {"pause"}:
        return pause(turn, [code])
    if kinds is None or len(kinds) != 1:
        return _again(turn, code) if kinds is not None or talk else None
    (kind,) = kinds
    answered = answer(turn, at, "miss" if kind in _SAID_SO else kind)
    if answered is None or kind not in _SAID_SO:
        return answered
    return [Reply(turn.t.gettext(_SAID_SO[kind])), *answered]


def _again(turn: Turn, code: str) -> list[Reply] | None:
    """The document asked again, with how to answer it in words."""
    procedure = turn.procedure(code)
    record = states.checklist(turn.state, code)
    if procedure is None or record is None or record.get("done"):
        return None
    intro = turn.t.gettext(
        "Please tap a button, or type “có”, “chưa có”, “không phải” or “dừng lại”."
    )
    return current(turn, procedure, record, intro)


def _finished(
    turn: Turn, procedure: Procedure, record: dict[str, Any], replies: list[Reply]
) -> list[Reply]:
    """When this answer finished the checklist: count it, and ask for a one-tap rating."""
    if not record.get("done"):
        return replies
    turn.effects.append(NoteMilestone("checklist_done", procedure.code))
    return [*replies, feedback.prompt(turn, "c", procedure.code)]


def _skip(procedure: Procedure, record: dict[str, Any]) -> None:
    """Mark the checklist done once the citizen's case has no paper left."""
    case = _chosen(record)
    record["done"] = case is not None and record["at"] >= len(nodes(procedure, case))


def what(turn: Turn, args: list[str]) -> list[Reply] | None:
    """Explain the current document in full: name, counts, form, where copies are made."""
    found = _at_node(turn, args)
    if found is None:
        return None
    procedure, record = found
    gi, di = nodes(procedure, record["case"])[record["at"]]
    document = papers.sections(procedure)[gi].documents[di]
    explanation = [document.name, *where(turn.t, document)]
    explanation.append(
        turn.t.gettext("If anything is unclear, the commune one-stop staff can explain.")
    )
    return [Reply("\n".join(explanation), item_buttons(turn, procedure, record["at"]))]


def where(t: Translator, document: Document) -> list[str]:
    """What the portal says about obtaining a paper: its form, and how copies are certified."""
    lines = []
    if amount := quantity(t, document):
        lines.append(t.gettext("Needed: {amount}").format(amount=amount))
    if document.template:
        lines.append(
            t.gettext(
                "Form: {form}. Ask for it at the one-stop counter or download it from the "
                "procedure's page on the portal."
            ).format(form=document.template)
        )
    if document.copies:
        lines.append(
            t.gettext(
                "Certified copies are made at the commune People's Committee or a notary office."
            )
        )
    return lines


def summary(turn: Turn, args: list[str]) -> list[Reply] | None:
    """What the citizen has, what is still missing and where it is obtained."""
    procedure = turn.procedure(args[0]) if len(args) == 1 else None
    record = states.checklist(turn.state, args[0]) if procedure else None
    if procedure is None or record is None:
        return None
    if record.get("n") != size(procedure):
        return go(turn, args)  # the official list changed: its answers no longer fit
    return summarise(turn, procedure, record)


def summarise(turn: Turn, procedure: Procedure, record: dict[str, Any]) -> list[Reply]:
    """The summary of one checklist, with reminders, filing and what to do next."""
    _ = turn.t.gettext
    turn.state["proc"] = procedure.code
    turn.set_step("checklist:summary")
    missing = _missing(procedure, record)
    counts = list(record["docs"].values())
    lines = [
        _("Documents for: {name}").format(name=procedure.name),
        _("You have: {have}. Missing: {missing}. Not your case: {na}.").format(
            have=counts.count("have"), missing=len(missing), na=counts.count("na")
        ),
    ]
    case = _chosen(record)
    if case is not None and case != USUAL:
        title = papers.sections(procedure)[case].title
        lines.append(_("Your case: {case}").format(case=case_label(title, ITEM_CHARS)))
    if not record.get("done"):
        done, total = progress(procedure, record)
        lines.append(_("Checked so far: {done}/{total}.").format(done=done, total=total))
    elif not missing:
        lines.append(_("You have every document you need. You can hand in your dossier."))
    if missing:
        lines.append(_("Still missing:"))
        for number, document in enumerate(missing, start=1):
            lines.append(f"{number}. {card.shorten(document.name, ITEM_CHARS)}")
            lines.extend(f"   {line}" for line in where(turn.t, document))
    actions: list[Button] = []
    if not record.get("done"):
        actions.append(Button(_("Continue"), f"cl:go:{procedure.code}"))
    if missing:
        actions.extend(reminder_buttons(turn, procedure.code))
    if procedure.files_online and procedure.source_url:
        actions.append(Button(_("File online"), url=procedure.source_url))
    if record.get("done"):
        actions.append(Button(_("Start over"), f"cl:redo:{procedure.code}"))
    page_case = None if case is None else ("u" if case == USUAL else str(case))
    if (page := card.printable(turn, procedure.code, page_case)) is not None:
        actions.append(page)
    actions.append(menu.menu_button(turn))
    return [Reply("\n".join(lines), tuple(actions))]


def _missing(procedure: Procedure, record: dict[str, Any]) -> list[Document]:
    parts = papers.sections(procedure)
    case = _chosen(record)
    return [
        parts[gi].documents[di]
        for gi, di in nodes(procedure, USUAL if case is None else case)
        if record["docs"].get(f"{gi}.{di}") == "miss"
    ]


def missing_count(procedure: Procedure, record: dict[str, Any]) -> int:
    """How many documents the citizen said they do not have yet."""
    return len(_missing(procedure, record))


def reminder_buttons(turn: Turn, code: str) -> tuple[Button, Button]:
    """ "Remind me tomorrow" and "In 3 days" for a checklist."""
    _ = turn.t.gettext
    return (Button(_("Remind me tomorrow"), f"rm:1:{code}"), Button(_("In 3 days"), f"rm:3:{code}"))


def pause(turn: Turn, args: list[str]) -> list[Reply] | None:
    """Stop for now; the place is kept, and a reminder can be asked for."""
    procedure = turn.procedure(args[0]) if len(args) == 1 else None
    record = states.checklist(turn.state, args[0]) if procedure else None
    if procedure is None or record is None or record.get("done"):
        return None
    _ = turn.t.gettext
    turn.set_step("checklist:paused")
    done, total = progress(procedure, record)
    text = _(
        "Saved: {done}/{total} documents checked. To continue later, choose “Check my documents” "
        "in the menu, or let me remind you."
    ).format(done=done, total=total)
    return [
        Reply(
            text,
            (
                *reminder_buttons(turn, procedure.code),
                Button(_("Continue"), f"cl:go:{procedure.code}"),
                Button(_("See what is missing"), f"cl:sum:{procedure.code}"),
                menu.menu_button(turn),
            ),
        )
    ]


_GO_ON_WORDS = frozenset(("tiep tuc", "tiep", "tiep di", "lam tiep", "continue", "go on"))
""""Continue" in the words citizens type after pausing ("tiếp tục" for "Làm tiếp")."""


def paused_typed(turn: Turn, text: str) -> list[Reply] | None:
    """ "tiếp tục" after pausing goes on with the checklist, as "Continue" does; it was
    searched as a procedure's name. Anything else is a new question."""
    code = turn.state.get("proc")
    if not isinstance(code, str) or fold(text).strip(" .!") not in _GO_ON_WORDS:
        return None
    return go(turn, [code])


def redo(turn: Turn, args: list[str]) -> list[Reply] | None:
    """Start a finished checklist again from the first document."""
    procedure = turn.procedure(args[0]) if len(args) == 1 else None
    if procedure is None or states.checklist(turn.state, args[0]) is None:
        return None
    del states.checklists(turn.state)[procedure.code]
    return go(turn, args)


def unfinished(turn: Turn) -> list[tuple[Procedure, dict[str, Any]]]:
    """Checklists still in progress, most recently used first; vanished procedures are dropped."""
    found = []
    for code, record in list(turn.state.get("checklists", {}).items()):
        procedure = turn.procedure(code)
        if procedure is None:
            del states.checklists(turn.state)[code]
        elif not record.get("done"):
            found.append((procedure, record))
    return sorted(found, key=lambda pair: str(pair[1].get("seen", "")), reverse=True)


def my_documents(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """The menu's "Check my documents": the unfinished checklists, to resume one."""
    _ = turn.t.gettext
    pending = unfinished(turn)
    if not pending:
        turn.set_step("qa:ask")
        return [
            Reply(
                _(
                    "You have no checklist in progress. Ask about a procedure, then tap "
                    "“See the document checklist”."
                ),
                (Button(_("Ask about a procedure"), "m:ask"), menu.menu_button(turn)),
            )
        ]
    turn.set_step("checklist:list")
    choices = []
    for procedure, record in pending[:5]:
        done, total = progress(procedure, record)
        label = _("{name} ({done}/{total} checked)").format(
            name=card.shorten(card.short_name(procedure.name), 30), done=done, total=total
        )
        choices.append(Button(label, f"cl:go:{procedure.code}"))
    return [
        Reply(
            _("Your checklists in progress. Choose one to continue:"),
            (*choices, menu.menu_button(turn)),
        )
    ]
