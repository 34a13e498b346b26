"""How a procedure reads in a chat: the answer card, its facts and short labels for variants.

Procedure texts stay in Vietnamese (they are the official wording); the words around them are
translated. Where the portal gives no information the card says so instead of guessing.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from urllib.parse import quote, urlencode

from babel.numbers import format_decimal
from cachetools import LRUCache

from dialogs.context import Turn
from dialogs.filing.forms import N_, form_for
from dialogs.flows import menu, papers
from dialogs.messages import Button, Reply, Span
from dialogs.ports import Translator
from dialogs.step import LocalDesk
from knowledge.checks import Check, contradictions
from knowledge.model import ChannelKind, Duration, Fee, OnlineFiling, Procedure

LABEL_CHARS = 40
"""Button labels longer than this are shortened: several platforms cut them anyway."""

NOTE_CHARS = 600
"""The portal's remark on a fee is cut to this on the card; the full text is one tap away."""

_PORTAL_MONEY = re.compile(
    r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+)\s*(?:việt nam đồng|đồng|vnđ|vnd)(?!\w)", re.IGNORECASE
)
"""An amount as the portal's fee cells write it: "7,000 Đồng", "250,000 VNĐ", "70,000 Việt Nam
Đồng" (a comma between thousands, the unit capitalised); amounts already written the Vietnamese
way ("7.000 đồng") or with decimals are left alone."""

_BOILERPLATE = re.compile(r"^\s*thủ tục\s+", re.IGNORECASE)
_PROVINCIAL_ISSUER = re.compile(r"^UBND (?:tỉnh|thành phố) (.+)$", re.IGNORECASE)
"""A province's own version of a procedure is issued by its People's Committee."""
_AMOUNT = re.compile(r"^\s*(miễn phí|[\d.,]+\s*(việt nam đồng|đồng|vnđ|vnd)?)", re.IGNORECASE)


def answer(turn: Turn, procedure: Procedure) -> list[Reply]:
    """The answer card for a procedure, with what the citizen can do next."""
    _ = turn.t.gettext
    turn.state["proc"] = procedure.code
    turn.set_step("qa:answer")
    if procedure.catalogue_only:
        return [Reply(catalogue_facts(turn.t, procedure), catalogue_actions(turn, procedure))]
    actions: list[Button] = []
    if any(papers.counts(procedure)):
        actions.append(Button(_("See the document checklist"), f"cl:go:{procedure.code}"))
    in_chat = form_for(procedure.code) is not None
    if in_chat:
        actions.append(Button(_("File online from this chat"), f"f:go:{procedure.code}"))
    if procedure.files_online and procedure.source_url:
        # Beside "Nộp hồ sơ trực tuyến", a second "Nộp trực tuyến" reads as the same button.
        portal = _("Open the portal") if in_chat else _("File online")
        actions.append(Button(portal, url=procedure.source_url))
    if (page := printable(turn, procedure.code)) is not None:
        actions.append(page)
    actions.append(Button(_("Other procedures"), "qa:more"))
    actions.append(menu.menu_button(turn))
    today = turn.deps.clock.now().date()
    text, strong = _kept_facts(turn.t, procedure, today)
    if turn.t.locale != "vi" and turn.message.ref.channel != "web":
        # The web page marks the Vietnamese wording itself (lang="vi"); other apps cannot.
        note = _("Names and papers are in Vietnamese, as the portal publishes them.") + "\n"
        text = note + text
        strong = tuple((start + len(note), end + len(note)) for start, end in strong)
    replies = [Reply(text, tuple(actions), strong)]
    if turn.deps.local_desk is not None:
        replies.insert(0, Reply(local_desk(turn.t, turn.deps.local_desk)))
    return replies


WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


def local_desk(t: Translator, desk: LocalDesk) -> str:
    """Where the citizen's own commune takes the dossier, as its staff describe it."""
    _ = t.gettext
    lines = [_("Your commune's one-stop desk:")]
    if desk.address:
        lines.append(desk.address)
    lines.append(
        _("Open {days}, {opens}–{closes}").format(
            days=opening_days(t, desk.days), opens=desk.opens, closes=desk.closes
        )
    )
    if desk.phone:
        lines.append(_("Phone: {phone}").format(phone=desk.phone))
    if desk.map_url:
        lines.append(_("Map: {url}").format(url=desk.map_url))
    if desk.notes:
        lines.append(desk.notes)
    return "\n".join(lines)


def opening_days(t: Translator, days: str) -> str:
    """``"12345"`` as "Monday–Friday"; days that do not follow each other are listed."""
    numbers = sorted(int(d) for d in days if d in "1234567")
    names = [t.gettext(WEEKDAYS[n - 1]) for n in numbers]
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{names[0]}–{names[-1]}"
    return ", ".join(names)


def printable(turn: Turn, code: str, case: str | None = None) -> Button | None:
    """A link to the page to print and take to the counter (``/p/CODE?case=…``).

    The web chat links to it by path; another app needs motcua's public address, and without
    one there is no link rather than one that leads nowhere.
    """
    base = turn.deps.public_url.rstrip("/")
    if not base and turn.message.ref.channel != "web":
        return None
    query = urlencode(
        {
            key: value
            for key, value in (("case", case), ("lang", turn.t.locale))
            if value is not None and not (key == "lang" and value == "vi")
        }
    )
    url = f"{base}/p/{quote(code)}" + (f"?{query}" if query else "")
    return Button(turn.t.gettext("Checklist to print"), url=url)


def facts(t: Translator, procedure: Procedure, today: date) -> str:
    """The card's text: name, place, time, fee, documents, online filing, remarks, link, code.

    What the portal contradicts itself on is flagged with its own words (``today`` decides
    whether a temporary fee has ended).
    """
    return marked_facts(t, procedure, today)[0]


CARDS_KEPT = 256
"""Answer cards whose facts are kept: a few hundred procedures answer most questions, so most
cards were written the same way earlier the same day. A procedure replaced by a new import is
another object, and so never gets the card of the old one."""

_cards: LRUCache[tuple[int, str, date], tuple[Translator, Procedure, tuple[str, tuple[Span, ...]]]]
_cards = LRUCache(CARDS_KEPT)


def _kept_facts(t: Translator, procedure: Procedure, today: date) -> tuple[str, tuple[Span, ...]]:
    """:func:`marked_facts`, written once a day per procedure and translator."""
    key = (id(t), procedure.code, today)
    kept = _cards.get(key)
    if kept is not None and kept[0] is t and kept[1] is procedure:
        return kept[2]
    facts = marked_facts(t, procedure, today)
    _cards[key] = (t, procedure, facts)
    return facts


def marked_facts(t: Translator, procedure: Procedure, today: date) -> tuple[str, tuple[Span, ...]]:
    """:func:`facts` with what a citizen looks for first marked: the name and each fact's label."""
    _ = t.gettext
    doubt = _doubt_marks(t, procedure, today)
    remarks = flagged(procedure, today)
    card = _Lines()
    card.add(procedure.name, strong=len(procedure.name))
    card.labelled(_("Where: {place}"), place=doubt["place"] + place(t, procedure))
    time = per_channel(t, procedure, "time")
    # A time without its unit is shown as the portal wrote it ("1 (the portal gives no unit)")
    # after the doubt mark: that line says both what is in doubt and the portal's words, and
    # a second line quoting "1" again was only longer on a phone.
    remarks = [
        (line, words)
        for line, words in remarks
        if not (line == _FLAGGED[Check.TIME_WITHOUT_UNIT] and words in time)
    ]
    card.labelled(_("Processing time: {time}"), time=doubt["time"] + time)
    card.labelled(_("Fee: {fee}"), fee=doubt["fee"] + per_channel(t, procedure, "fee"))
    card.labelled(_("Documents to hand in: {count}"), count=document_count(t, procedure))
    card.labelled(_("File online: {online}"), online=online(t, procedure))
    # The long remarks come after the facts every citizen needs, so a phone's first screen
    # (see ``dialogs.flows.more``) holds those; the rest is one "More" away.
    for line, words in remarks:
        card.add(_(line).format(words=shorten(words, NOTE_CHARS)))
    if note := fee_note(procedure):
        card.add(_("Fee note from the portal: {note}").format(note=shorten(note, NOTE_CHARS)))
    if procedure.source_url:
        card.add(_("On the portal: {url}").format(url=procedure.source_url))
    card.add(_("Procedure code: {code}").format(code=procedure.code))
    return "\n".join(card.lines), tuple(card.strong)


class _Lines:
    """A card's lines and its marked spans, built together so each span stays on its words."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.strong: list[Span] = []
        self._length = 0

    def add(self, line: str, strong: int = 0) -> None:
        """Add a line whose first ``strong`` characters are marked."""
        start = self._length + (1 if self.lines else 0)  # after the line break
        if strong:
            self.strong.append((start, start + strong))
        self.lines.append(line)
        self._length = start + len(line)

    def labelled(self, template: str, **values: str) -> None:
        """Add "Label: {value}" (translated) with its label marked."""
        label = template.partition("{")[0].rstrip()
        self.add(template.format(**values), strong=len(label))


_FLAGGED = {
    Check.TIME_WITHOUT_UNIT: N_(
        "⚠ Check the processing time with the one-stop shop; the portal says only: “{words}”"
    ),
    Check.DISTRICT_LEVEL: N_(
        "⚠ Check where to file with the one-stop shop: district offices closed in July 2025, "
        "and the portal still says: “{words}”"
    ),
}
"""What each contradiction is about, so that a short quote ("1") still says something; the
fee's contradictions share one line."""

_FEE_FLAG = N_("⚠ Check the fee with the one-stop shop; the portal says: “{words}”")

_FACT_OF = {Check.TIME_WITHOUT_UNIT: "time", Check.DISTRICT_LEVEL: "place"}
"""The card's fact each contradiction puts in doubt; the others are all about the fee."""


def _doubt_marks(t: Translator, procedure: Procedure, today: date) -> dict[str, str]:
    """A mark before each fact the portal contradicts itself on.

    The lines that quote the portal come after the facts, often one "More" away on a phone; a
    fact read on the first screen ("Fee: Free (… 135,000 dong …)") must not look settled.
    """
    doubted = {_FACT_OF.get(c.check, "fee") for c in contradictions(procedure, today)}
    mark = t.gettext("⚠ to check with the one-stop shop: ")
    return {fact: mark if fact in doubted else "" for fact in ("place", "time", "fee")}


def flagged(procedure: Procedure, today: date) -> list[tuple[str, str]]:
    """Each passage of the portal's that contradicts itself, once, with the line (a message id
    whose ``{words}`` quotes it) that says what it is about: a fee both "free" and priced, with
    a discount that has ended, is one passage with two contradictions."""
    passages: dict[str, str] = {}
    for found in contradictions(procedure, today):
        passages.setdefault(found.words, _FLAGGED.get(found.check, _FEE_FLAG))
    return [(line, words) for words, line in passages.items()]


def catalogue_facts(t: Translator, procedure: Procedure) -> str:
    """A procedure known only by name: who handles it, where its page is, what is not known.

    The portal's catalogue gives no papers, fees or times, and the card says so plainly rather
    than leaving the citizen to guess from a look-alike procedure.
    """
    _ = t.gettext
    lines = [
        procedure.name,
        _(
            "I know this procedure only from the portal's list: I do not have its papers, fee or "
            "processing time. Its official page has them, or ask the one-stop shop."
        ),
    ]
    if procedure.agencies:
        lines.append(_("Handled by: {agency}").format(agency="; ".join(procedure.agencies)))
    if procedure.ministry:
        lines.append(_("Issued by: {issuer}").format(issuer=procedure.ministry))
    if procedure.field:
        lines.append(_("Field: {field}").format(field=procedure.field))
    if procedure.source_url:
        lines.append(_("On the portal: {url}").format(url=procedure.source_url))
    lines.append(_("Procedure code: {code}").format(code=procedure.code))
    return "\n".join(lines)


def catalogue_actions(turn: Turn, procedure: Procedure) -> tuple[Button, ...]:
    """The official page, other results and the menu: there is no checklist to walk."""
    _ = turn.t.gettext
    page = (Button(_("Open the official page"), url=procedure.source_url),)
    return (
        *(page if procedure.source_url else ()),
        Button(_("Other procedures"), "qa:more"),
        menu.menu_button(turn),
    )


def place(t: Translator, procedure: Procedure) -> str:
    """Level and agency, e.g. "Cấp xã — Ủy ban nhân dân cấp xã"."""
    level = ", ".join(procedure.levels)
    agency = "; ".join(procedure.agencies) or procedure.authority
    joined = " — ".join(part for part in (level, agency) if part)
    return joined or t.gettext("not stated by the portal")


def duration(t: Translator, value: Duration) -> str:
    """A processing time in words; the portal's own text when the value or unit is lost."""
    if value.value is None:
        return value.text or t.gettext("not stated by the portal")
    number = float(value.value)
    amount = f"{number:g}"
    n = int(number) if number.is_integer() else 2
    if value.unit == "working_days":
        return t.ngettext("{n} working day", "{n} working days", n).format(n=amount)
    if value.unit == "days":
        return t.ngettext("{n} day", "{n} days", n).format(n=amount)
    if value.unit == "hours":
        return t.ngettext("{n} hour", "{n} hours", n).format(n=amount)
    if value.unit == "months":
        return t.ngettext("{n} month", "{n} months", n).format(n=amount)
    if value.unit == "years":
        return t.ngettext("{n} year", "{n} years", n).format(n=amount)
    return t.gettext("{n} (the portal does not give the unit)").format(n=amount)


def fee(t: Translator, value: Fee) -> str:
    """A fee: formatted money, "free", or the portal's own words when it gives no amount."""
    if value.amount is None:  # the portal's words, which run to 50,000 characters at worst
        if not value.text:
            return t.gettext("not stated by the portal")
        return shorten(vietnamese_money(value.text), NOTE_CHARS)
    if value.amount == 0:
        return t.gettext("free")
    return t.format_money(value.amount)


def fee_note(procedure: Procedure) -> str:
    """The portal's remark after a fee ("Mức lệ phí cụ thể do HĐND tỉnh quyết định...").

    It can change what a citizen pays, so the card shows it; the in-person channel's first.
    """
    channels = sorted(procedure.channels, key=lambda c: c.kind is not ChannelKind.IN_PERSON)
    for channel in channels:
        if channel.fee is not None and channel.fee.amount is not None:
            note = _AMOUNT.sub("", channel.fee.text, count=1).strip(" ()-–:;.")
            if note:
                return vietnamese_money(note)
    return ""


def vietnamese_money(text: str) -> str:
    """The portal's "7,000 Đồng" written as Vietnamese write it, "7.000 đồng": the same amount
    (the portal's comma separates thousands), read without stumbling on a foreign style."""
    return _PORTAL_MONEY.sub(
        lambda m: f"{format_decimal(int(m.group(1).replace(',', '')), locale='vi_VN')} đồng",
        text,
    )


def channel_name(t: Translator, kind: ChannelKind) -> str:
    """How a channel is called in the user's language."""
    if kind is ChannelKind.ONLINE:
        return t.gettext("online")
    if kind is ChannelKind.POST:
        return t.gettext("by post")
    return t.gettext("in person")


def per_channel(t: Translator, procedure: Procedure, what: str) -> str:
    """Time or fee: each value once, with the channels it applies to.

    A procedure with several cases repeats its channels per case (1.115778 has 24 channels:
    8 cases, each in person, online and by post), so a value is named once with its channels,
    and where every value holds on every channel the difference comes from the case, not the
    channel, and the card says so instead of listing the channels again.
    """
    values: dict[str, list[ChannelKind]] = {}
    for channel in procedure.channels:
        if what == "time" and channel.time is not None:
            text = duration(t, channel.time)
        elif what == "fee" and channel.fee is not None:
            text = fee(t, channel.fee)
        else:
            continue
        kinds = values.setdefault(text, [])
        if channel.kind not in kinds:
            kinds.append(channel.kind)
    if not values:
        return t.gettext("not stated by the portal")
    if len(values) == 1:
        return next(iter(values))
    every = {channel.kind for channel in procedure.channels}
    if all(set(kinds) == every for kinds in values.values()):
        return t.gettext("{values} (depending on your case)").format(values="; ".join(values))
    return "; ".join(
        f"{', '.join(channel_name(t, kind) for kind in kinds)}: {text}"
        for text, kinds in values.items()
    )


def document_count(t: Translator, procedure: Procedure) -> str:
    """How many papers: everyone's, and whether each case adds its own (never summed)."""
    handed, shown, cases = papers.counts(procedure)
    if handed == 0 and shown == 0 and cases == 0:
        return t.gettext("none listed by the portal")
    if cases and handed:
        text = t.ngettext(
            "{n} paper, plus those of your case ({cases} possible cases)",
            "{n} papers, plus those of your case ({cases} possible cases)",
            handed,
        ).format(n=handed, cases=cases)
    elif cases:
        text = t.gettext("depends on your case ({cases} possible cases)").format(cases=cases)
    else:
        text = t.ngettext("{n} paper", "{n} papers", handed).format(n=handed)
    if shown:
        text = t.gettext("{count}; to show at the counter: {shown}").format(count=text, shown=shown)
    return text


def online(t: Translator, procedure: Procedure) -> str:
    """Whether and how much of the procedure can be done on the portal."""
    if procedure.online is OnlineFiling.FULL:
        return t.gettext("yes, entirely online")
    if procedure.online is OnlineFiling.PARTIAL:
        return t.gettext("yes, partly online")
    if procedure.files_online:
        return t.gettext("yes")
    return t.gettext("no, file it in person")


def short_name(name: str) -> str:
    """A procedure name without the leading "Thủ tục", capitalised."""
    bare = _BOILERPLATE.sub("", name).strip()
    return bare[:1].upper() + bare[1:]


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    """Cut text at a word boundary so it fits a button."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-–(") + "…"


def variant_labels(procedures: list[Procedure]) -> list[str]:
    """Short button labels for close variants, built from the words that set each one apart.

    A short name is used as it is; a long one is replaced by its longest stretch of words not
    shared with the other option it is compared with (the best match, or for the best match
    the first variant), e.g. "Có yếu tố nước ngoài". A long name with no words of its own
    (the plain case, when the variants only add "(thực hiện tại cấp tỉnh)") is labelled by its
    level. Identical labels get their level added.
    """
    names = [short_name(p.name) for p in procedures]
    labels = []
    for index, name in enumerate(names):
        reference = names[1] if index == 0 and len(names) > 1 else names[0]
        label = name
        if len(name) > LABEL_CHARS:
            label = distinct(name, reference) or ", ".join(procedures[index].levels) or name
        labels.append(shorten(label[:1].upper() + label[1:]))
    for extra_of in (_level_or_province, lambda p: p.code):
        repeated = {label for label in labels if labels.count(label) > 1}
        for index, label in enumerate(labels):
            extra = extra_of(procedures[index])
            if label in repeated and extra not in label:
                labels[index] = f"{shorten(label, LABEL_CHARS - len(extra) - 3)} ({extra})"
    return labels


def issuing_province(procedure: Procedure) -> str:
    """The province whose own version this is ("UBND tỉnh Đắk Lắk" -> "Đắk Lắk"), else "":
    provinces publish their versions under the national name, so the name alone does not tell
    a citizen which one is theirs."""
    found = _PROVINCIAL_ISSUER.match(procedure.ministry.strip())
    return found.group(1).strip() if found else ""


def _level_or_province(procedure: Procedure) -> str:
    return issuing_province(procedure) or ", ".join(procedure.levels) or procedure.code


def distinct(name: str, reference: str) -> str:
    """The longest stretch of words of ``name`` that ``reference`` does not have."""
    words, other = name.split(), reference.split()
    matcher = difflib.SequenceMatcher(a=_keys(other), b=_keys(words), autojunk=False)
    stretches = [
        words[j1:j2]
        for tag, _i1, _i2, j1, j2 in matcher.get_opcodes()
        if tag in ("insert", "replace")
    ]
    longest = max(stretches, key=len, default=[])
    return " ".join(longest).strip(" ,;:-–()")


def _keys(words: list[str]) -> list[str]:
    """Words compared without case or punctuation ("sinh," equals "Sinh")."""
    return [w.strip(",.;:()").lower() for w in words]
