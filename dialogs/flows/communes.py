"""Choosing one's commune for its announcements: by buttons, by name, or by an old address.

The menu's "Commune announcements" asks the dispatcher which commune the citizen chose and
what it announced lately (``ShowCommune``, answered with an internal ``nw:mine``): the latest
announcements, newest first, a page at a time; one not chosen yet is asked for:
province then commune from short pages of big buttons, or a typed name (with or without
diacritics, with its province or not), or an old address from before the 2025 rearrangement,
which is mapped to the unit it now belongs to and confirmed. Names several units share are
asked about ("which one?"). "Hủy đăng ký", "STOP" or the button ends it. The dispatcher
stores the choice (``ChooseCommune``), once per citizen across linked apps.

The pickers' paging buttons say what they page ("More communes", "More provinces"), so they
are never taken for the "More" that continues a long answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from dialogs.context import Turn
from dialogs.dates import VIETNAM
from dialogs.flows import menu
from dialogs.messages import Button, Reply
from dialogs.step import ChooseCommune, ShowCommune
from dialogs.text import clean
from knowledge.communes import legacy, units
from knowledge.text import fold

PAGE = 8
"""Buttons on one page of provinces or communes: big enough to tap, few enough to read."""

MAX_NEWS_PAGE = 100
"""Pages of older announcements a button may ask for; a higher one was not made by us."""

MAX_OFFERED = 8
"""Units offered for a name several share, or for a misspelling."""

JOINING = "volunteer"
"""The ``then`` mark of the join form's commune question (``dialogs.flows.volunteers``)."""

MAX_NEAR = 3
"""Units offered first, from the address the citizen typed in a filing: few, so the buttons
stay big."""

_ADDRESS_KEYS = ("address", "residence_address")
"""The filing's answers that say where the citizen lives, the first the most telling."""

NEAR = "near"
"""The state key of the units a sent dossier's address named, as codes (the address itself is
not kept): the pickers shown after the filing offer them first too."""

_OLD_MARKERS = ("huyen ", "quan ", "thi xa ", "thi tran ")
"""Words only an old address has (districts and towns were abolished in 2025)."""


def open_(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """The menu's "Commune announcements": the dispatcher says which commune was chosen."""
    turn.state.pop("then", None)  # a question for the staff left waiting for a commune is not
    turn.effects.append(ShowCommune())
    return []


def older(turn: Turn, args: list[str]) -> list[Reply] | None:
    """Older announcements of the chosen commune ("nw:old:<page>"), from the dispatcher."""
    if len(args) != 1 or not args[0].isdigit() or int(args[0]) > MAX_NEWS_PAGE:
        return None
    turn.effects.append(ShowCommune(int(args[0])))
    return []


def mine(turn: Turn, _args: list[str]) -> list[Reply]:
    """The chosen commune's latest announcements and what can be done with it, or the question
    when there is none."""
    facts = turn.message.facts or {}
    code = facts.get("commune")
    unit = units.commune(code) if isinstance(code, int) else None
    if unit is None:
        return ask(turn)
    _ = turn.t.gettext
    turn.set_step("news:mine")
    page = facts.get("page", 0)
    news = [item for item in facts.get("news", ()) if isinstance(item, Mapping)]
    buttons = [
        Button(_("Change my commune"), "nw:ask"),
        Button(_("Stop the announcements"), "nw:stop"),
        menu.menu_button(turn),
    ]
    if facts.get("older") and isinstance(page, int):
        buttons.insert(0, Button(_("Older announcements"), f"nw:old:{page + 1}"))
    if news:
        header = (
            _("Announcements of {name}, newest first:")
            if page == 0
            else _("Older announcements of {name}:")
        )
        replies = [Reply(header.format(name=unit.label))]
        replies.extend(Reply(_announcement(turn, item)) for item in news[:-1])
        return [*replies, Reply(_announcement(turn, news[-1]), tuple(buttons))]
    text = (
        _(
            "Your commune: {name}. It has not sent any announcement through this chat yet; "
            "those it sends will come to you here."
        )
        if page == 0
        else _("{name} has no older announcements.")
    )
    return [Reply(text.format(name=unit.label), tuple(buttons))]


def _announcement(turn: Turn, item: Mapping[str, Any]) -> str:
    """One announcement as a bubble: its date in Vietnam time, its text (English where staff
    wrote it and the citizen reads English), its link."""
    at = datetime.fromisoformat(str(item["at"])).astimezone(VIETNAM)
    text = item.get("en") if turn.t.locale == "en" and item.get("en") else item.get("vi")
    lines = [f"{at:%d/%m/%Y %H:%M}", str(text or "")]
    if item.get("link"):
        lines.append(str(item["link"]))
    return "\n".join(lines)


def ask(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """Ask for the commune: a typed name or old address, or the first page of provinces.

    A citizen who already typed their address in a filing expects to be recognised, not to
    page through 34 provinces in alphabetical order: the units that address names come first,
    and its province heads the list."""
    turn.set_step("news:choose")
    turn.state.pop("news", None)
    _ = turn.t.gettext
    text = _(
        "Which commune or ward do you live in? Type its name, for example “phường Ba Đình” or "
        "“xã Tân Lập, Tây Ninh” (diacritics are not needed), or your old address from before "
        "July 2025. Or choose your province:"
    )
    near = _near(turn)[0]
    if near:
        text = _("From the address you typed, your commune may be the first button.") + "\n" + text
    offered = tuple(Button(u.label, f"nw:ok:{u.code}") for u in near)
    return [Reply(text, (*offered, *_province_page(turn, 0)))]


def provinces(turn: Turn, args: list[str]) -> list[Reply] | None:
    """Another page of provinces ("nw:pp:<page>")."""
    if len(args) != 1 or not args[0].isdigit():
        return None
    turn.set_step("news:choose")
    return [Reply(turn.t.gettext("Choose your province:"), _province_page(turn, int(args[0])))]


def province(turn: Turn, args: list[str]) -> list[Reply] | None:
    """A province's communes, a page at a time ("nw:pv:<code>:<page>"); typing searches it."""
    if len(args) != 2 or not all(a.isdigit() for a in args):
        return None
    chosen = units.province(int(args[0]))
    if chosen is None:
        return None
    turn.set_step("news:province")
    turn.state["news"] = {"p": chosen.code}
    _ = turn.t.gettext
    text = _("Communes and wards of {province}. Choose yours, or type its name:").format(
        province=chosen.short
    )
    communes = units.communes_of(chosen.code)
    page = int(args[1])
    start = page * PAGE if page * PAGE < len(communes) else 0
    buttons = [Button(u.name, f"nw:ok:{u.code}") for u in communes[start : start + PAGE]]
    if start + PAGE < len(communes):
        buttons.append(Button(_("More communes"), f"nw:pv:{chosen.code}:{start // PAGE + 1}"))
    buttons.append(Button(_("Another province"), "nw:ask"))
    if turn.state.get("then") == JOINING:
        buttons.append(_way_out(turn))
    return [Reply(text, tuple(buttons))]


_YES_WORDS = frozenset(
    ("co", "dung", "dung roi", "dung vay", "phai", "phai roi", "vang", "u", "yes", "ok")
)
_NO_WORDS = frozenset(("khong", "khong phai", "sai", "sai roi", "no"))
"""Answers to "Is it …?" in the words citizens type: "đúng" is no commune's name there."""


def answer_word(text: str, offered: Sequence[str | None]) -> str | None:
    """The payload "đúng" or "không" typed to "Is it …?" (``offered``: the payloads of the
    buttons last shown) stands for: its "Yes" or its "No, search again"; None otherwise, and
    for any other question, where a word is a name to search."""
    if len(offered) != 2 or not str(offered[0]).startswith("nw:ok:") or offered[1] != "nw:ask":
        return None
    word = fold(text).strip(" .!")
    if word in _YES_WORDS:
        return offered[0]
    return offered[1] if word in _NO_WORDS else None


def typed(turn: Turn, text: str) -> list[Reply] | None:
    """A name or an old address typed while choosing; None when it has no words to search."""
    query = clean(text, 200)
    if not query.strip():
        return None
    scope = turn.state.get("news", {}).get("p")
    within = scope if isinstance(scope, int) else None
    folded = f" {fold(query)} "
    looks_old = any(f" {marker}" in folded for marker in _OLD_MARKERS)
    old = legacy.understand(query) if looks_old else None
    if old is not None:
        return _old(turn, old)
    found = units.search(query, MAX_OFFERED, within)
    if found.exact and found.communes:
        return _offer(turn, found.communes, exact=True)
    old = legacy.understand(query) if within is None else None
    if old is not None:
        return _old(turn, old)
    exactly = units.province_named(query) if within is None else None
    if exactly is not None:  # "ha noi" alone: its communes, not look-alike names elsewhere
        return province(turn, [str(exactly.code), "0"])
    if found.communes:
        return _offer(turn, found.communes, exact=False)
    if found.province is not None:
        return province(turn, [str(found.province.code), "0"])
    named = units.search_provinces(query, 1) if within is None else ()
    if named:
        return province(turn, [str(named[0].code), "0"])
    _ = turn.t.gettext
    return [
        Reply(
            _(
                "I could not find “{name}”. Check the spelling, add the province (“xã Tân Lập, "
                "Tây Ninh”), or choose from the list."
            ).format(name=query),
            _province_page(turn, 0),
        )
    ]


def confirm(turn: Turn, args: list[str]) -> list[Reply] | None:
    """The citizen chose a unit ("nw:ok:<code>"): keep it and say how to stop."""
    done = chosen(turn, args)
    return None if done is None else menu.show(turn, done)


def chosen(turn: Turn, args: list[str]) -> str | None:
    """Keep the unit chosen ("nw:ok:<code>"); what to tell the citizen, None for no unit."""
    chosen_unit = unit(args)
    if chosen_unit is None:
        return None
    turn.effects.append(ChooseCommune(chosen_unit.code))
    turn.state.pop("news", None)
    return turn.t.gettext(
        "Done: your commune is {name}. Announcements it sends through this chat will come "
        "to you here. To stop them, type “Hủy đăng ký” or STOP."
    ).format(name=chosen_unit.label)


def unit(args: list[str]) -> units.Commune | None:
    """The unit a button names ("nw:ok:<code>", "hs:news:<code>"), None for no unit."""
    return units.commune(int(args[0])) if len(args) == 1 and args[0].isdigit() else None


def stop(turn: Turn, _args: list[str] | None = None) -> list[Reply]:
    """End the subscription ("Hủy đăng ký", "STOP", the button), on every linked app."""
    turn.effects.append(ChooseCommune(None))
    turn.state.pop("news", None)
    return menu.show(
        turn,
        turn.t.gettext(
            "You will no longer receive commune announcements. You can choose your commune "
            "again from the menu at any time."
        ),
    )


def remember_near(turn: Turn) -> None:
    """Keep the units the filing's address names, for the pickers shown once it is sent."""
    near, provinces = _near(turn)
    if near or provinces:
        turn.state[NEAR] = {"c": [u.code for u in near], "p": [p.code for p in provinces]}


def _near(turn: Turn) -> tuple[tuple[units.Commune, ...], tuple[units.Province, ...]]:
    """The units the address typed in the filing under way names exactly, and the provinces
    it names or they belong to; after the filing was sent, those its address named."""
    filing = turn.state.get("filing")
    values = filing.get("values") if isinstance(filing, dict) else None
    typed = [values.get(key) for key in _ADDRESS_KEYS] if isinstance(values, dict) else []
    for address in typed:
        if not isinstance(address, str):
            continue
        found = units.search(address, MAX_NEAR)
        near = found.communes if found.exact else ()
        named = (found.province,) if found.province else ()
        provinces = tuple(dict.fromkeys((*named, *(u.province for u in near))))
        if near or provinces:
            return near, provinces
    kept = turn.state.get(NEAR)
    if not isinstance(kept, dict):
        return (), ()
    near = tuple(u for c in kept.get("c", ()) if isinstance(c, int) and (u := units.commune(c)))
    provinces = tuple(
        p for c in kept.get("p", ()) if isinstance(c, int) and (p := units.province(c))
    )
    return near, provinces


def _likely_provinces(turn: Turn) -> tuple[units.Province, ...]:
    """Every province, those of the citizen's typed address first, then alphabetical: one
    order for every picker (announcements, staff, the join form), in a filing or after it."""
    first = _near(turn)[1]
    return (*first, *(p for p in units.provinces() if p not in first))


def _province_page(turn: Turn, page: int) -> tuple[Button, ...]:
    everything = _likely_provinces(turn)
    start = page * PAGE if page * PAGE < len(everything) else 0
    buttons = [Button(p.short, f"nw:pv:{p.code}:0") for p in everything[start : start + PAGE]]
    if start + PAGE < len(everything):
        buttons.append(Button(turn.t.gettext("More provinces"), f"nw:pp:{start // PAGE + 1}"))
    buttons.append(_way_out(turn))
    return tuple(buttons)


def _way_out(turn: Turn) -> Button:
    """ "Menu" under the picker, but "Cancel" when it asks the join form's commune: the way out
    of the form's other questions, which forgets the request; "Menu" left it half-made."""
    if turn.state.get("then") == JOINING:
        return Button(turn.t.gettext("Cancel"), "vo:stop")
    return menu.menu_button(turn)


def _offer(turn: Turn, found: Sequence[units.Commune], *, exact: bool) -> list[Reply]:
    """One unit to confirm, or several to choose from."""
    _ = turn.t.gettext
    if len(found) == 1 and exact:
        text = _("Is it {name}?").format(name=found[0].label)
        yes = Button(_("Yes, that is mine"), f"nw:ok:{found[0].code}")
        return [Reply(text, (yes, Button(_("No, search again"), "nw:ask")))]
    text = _("Several places have that name. Which one is yours?")
    if not exact:
        text = _("I did not find that name exactly. Did you mean one of these?")
    buttons = [Button(u.label, f"nw:ok:{u.code}") for u in found[:MAX_OFFERED]]
    return [Reply(text, (*buttons, Button(_("None of these, search again"), "nw:ask")))]


def _old(turn: Turn, old: legacy.OldAddress) -> list[Reply]:
    """An old address: the unit it now belongs to, to confirm, or the ones to choose from."""
    _ = turn.t.gettext
    if len(old.communes) == 1:
        unit = old.communes[0]
        text = _("Since 1 July 2025, {old} belongs to {new}. Is that your commune now?").format(
            old=old.old, new=unit.label
        )
        yes = Button(_("Yes, that is mine"), f"nw:ok:{unit.code}")
        return [Reply(text, (yes, Button(_("No, search again"), "nw:ask")))]
    text = _(
        "Since 1 July 2025, {old} is part of several communes and wards. Which one do you "
        "live in now?"
    ).format(old=old.old)
    buttons = [Button(u.label, f"nw:ok:{u.code}") for u in old.communes[:MAX_OFFERED]]
    return [Reply(text, (*buttons, Button(_("None of these, search again"), "nw:ask")))]
