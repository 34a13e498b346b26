"""The 34 provinces and 3,321 communes, wards and special zones, and finding one by name.

The units and their codes come from the ``vietnam-provinces`` library (the General Statistics
Office's list of the units in force since 1 July 2025), never from a list kept here. Citizens
type names as they say them: with or without diacritics, with or without "xã"/"phường", often
followed by the province ("xa tan lap tinh phu tho"); several units share a name, so a search
returns every unit that fits and the caller asks which one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz, process

from knowledge.text import fold

FUZZY_CUTOFF = 85
"""Similarity (0-100, rapidfuzz WRatio) a misspelt name needs to be offered at all."""

_WORDS = re.compile(r"[a-z0-9]+")
_PROVINCE_WORDS = ("thanh pho", "tinh", "tp")
_COMMUNE_TYPES = ("dac khu", "phuong", "xa", "p", "x")
_PROVINCE_ALIASES = {"hn": 1, "hcm": 79, "tphcm": 79, "sai gon": 79, "saigon": 79}
"""Short names citizens use for the two largest cities (GSO codes 01 and 79)."""


@dataclass(frozen=True, slots=True)
class Province:
    """A province or centrally governed city."""

    code: int
    name: str  # "Thành phố Hà Nội", "Phú Thọ"

    @property
    def short(self) -> str:
        """The name without "Thành phố": what people call it."""
        return self.name.removeprefix("Thành phố ")


@dataclass(frozen=True, slots=True)
class Commune:
    """A commune (xã), ward (phường) or special zone (đặc khu)."""

    code: int
    name: str  # "Phường Ba Đình"
    kind: str  # "xã", "phường" or "đặc khu"
    province_code: int

    @property
    def province(self) -> Province:
        """The province it belongs to."""
        found = province(self.province_code)
        assert found is not None
        return found

    @property
    def label(self) -> str:
        """The name and its province, as a citizen reads it: "Phường Ba Đình, Hà Nội"."""
        return f"{self.name}, {self.province.short}"

    @property
    def short(self) -> str:
        """The name without its kind: "Ba Đình"."""
        return self.name[len(self.kind) + 1 :] if len(self.name) > len(self.kind) else self.name


@dataclass(frozen=True, slots=True)
class Found:
    """What a typed name points to: a province it named, if any, and the communes that fit.

    ``exact`` says whether the communes carry the typed name itself or are only close to it
    (a misspelling), so the caller can ask "did you mean".
    """

    province: Province | None
    communes: tuple[Commune, ...]
    exact: bool


@cache
def _catalogue() -> tuple[dict[int, Province], dict[int, Commune]]:
    # The library's tables (about 4 MB) load with the first look-up, not with every worker.
    from vietnam_provinces import Province as _Province
    from vietnam_provinces import Ward as _Ward

    provinces = {int(p.code): Province(int(p.code), p.name) for p in _Province.iter_all()}
    communes = {
        int(w.code): Commune(
            int(w.code), " ".join(w.name.split()), w.division_type.value, int(w.province_code)
        )
        for w in _Ward.iter_all()
    }
    return provinces, communes


def provinces() -> tuple[Province, ...]:
    """Every province, in alphabetical order of its short name (as people look for it)."""
    return tuple(sorted(_catalogue()[0].values(), key=lambda p: fold(p.short)))


def province(code: int) -> Province | None:
    """The province with this GSO code."""
    return _catalogue()[0].get(code)


def commune(code: int) -> Commune | None:
    """The commune, ward or special zone with this GSO code."""
    return _catalogue()[1].get(code)


def communes_of(province_code: int) -> tuple[Commune, ...]:
    """A province's communes, in alphabetical order of their names without the kind."""
    return _by_province().get(province_code, ())


@cache
def _by_province() -> dict[int, tuple[Commune, ...]]:
    grouped: dict[int, list[Commune]] = {}
    for unit in _catalogue()[1].values():
        grouped.setdefault(unit.province_code, []).append(unit)
    return {code: tuple(sorted(units, key=_sort_key)) for code, units in grouped.items()}


def _sort_key(unit: Commune) -> tuple[str, str]:
    return fold(unit.short), unit.kind


def _words(text: str) -> list[str]:
    return _WORDS.findall(fold(text))


@cache
def _province_keys() -> dict[str, int]:
    keys = {" ".join(_words(p.short)): p.code for p in _catalogue()[0].values()}
    keys.update(_PROVINCE_ALIASES)
    return keys


@cache
def _names() -> dict[str, tuple[Commune, ...]]:
    """Folded short name -> the communes carrying it (several provinces reuse names)."""
    named: dict[str, list[Commune]] = {}
    for unit in _catalogue()[1].values():
        named.setdefault(" ".join(_words(unit.short)), []).append(unit)
    return {name: tuple(sorted(units, key=lambda u: u.code)) for name, units in named.items()}


def province_named(text: str) -> Province | None:
    """The province ``text`` is the name of ("ha noi", "tp hcm", "tỉnh Nghệ An"), or None."""
    code = _province_keys().get(" ".join(_strip_prefix(_words(text), _PROVINCE_WORDS)))
    return None if code is None else province(code)


def search_provinces(text: str, limit: int = 8) -> tuple[Province, ...]:
    """Provinces whose name is, or is close to, ``text``."""
    if (named := province_named(text)) is not None:
        return (named,)
    typed = " ".join(_strip_prefix(_words(text), _PROVINCE_WORDS))
    keys = _province_keys()
    matches = process.extract(typed, list(keys), scorer=fuzz.WRatio, limit=limit)
    codes = dict.fromkeys(keys[key] for key, score, _i in matches if score >= FUZZY_CUTOFF)
    return tuple(p for code in codes if (p := province(code)) is not None)


def search(text: str, limit: int = 8, within: int | None = None) -> Found:
    """The communes a typed name points to ("phuong ba dinh", "xa tan lap tinh phu tho").

    The whole text is first taken as a name (some communes are named like a province); then a
    province named at its end or start narrows the search. A name nobody carries is matched
    to the closest names instead (``exact`` False). ``within`` keeps one province's communes.
    """
    words = _words(text)
    kind, name_words = _kind(words)
    exact = _exact(" ".join(name_words), kind, within)
    if exact:
        return Found(province(within) if within else None, exact[:limit], True)
    named_province, rest = _split_province(words)
    scope = within if within is not None else (named_province.code if named_province else None)
    kind, name_words = _kind(rest)
    name = " ".join(name_words)
    if not name:
        return Found(named_province, (), True)
    exact = _exact(name, kind, scope) or _named_within(rest, scope)
    if exact:
        return Found(named_province, exact[:limit], True)
    return Found(named_province, _closest(name, kind, scope, limit), False)


def _named_within(words: list[str], scope: int | None) -> tuple[Commune, ...]:
    """The unit a whole address names after its last "xã"/"phường" ("12 Trần Phú, phường Ba
    Đình"): an address typed in a form is matched exactly, not taken for a misspelt name."""
    for start in range(len(words) - 2, 0, -1):
        kind, name_words = _kind(words[start:])
        found = _exact(" ".join(name_words), kind, scope) if kind is not None else ()
        if found:
            return found
    return ()


def _kind(words: list[str]) -> tuple[str | None, list[str]]:
    """The kind a name starts with ("xa", "phuong", "dac khu"), and the words after it."""
    for prefix in _COMMUNE_TYPES:
        size = len(prefix.split())
        if words[:size] == prefix.split() and len(words) > size:
            return {"p": "phuong", "x": "xa"}.get(prefix, prefix), words[size:]
    return None, words


def _strip_prefix(words: list[str], prefixes: tuple[str, ...]) -> list[str]:
    for prefix in prefixes:
        size = len(prefix.split())
        if words[:size] == prefix.split() and len(words) > size:
            return words[size:]
    return words


def _strip_suffix(words: list[str], prefixes: tuple[str, ...]) -> list[str]:
    for prefix in prefixes:
        size = len(prefix.split())
        if len(words) > size and words[-size:] == prefix.split():
            return words[:-size]
    return words


def _split_province(words: list[str]) -> tuple[Province | None, list[str]]:
    """A province named at the end (or the start) of the words, and the words left."""
    keys = _province_keys()
    for size in range(min(4, len(words) - 1), 0, -1):
        tail = " ".join(words[-size:])
        if tail in keys:
            return province(keys[tail]), _strip_suffix(words[:-size], _PROVINCE_WORDS)
        head = _strip_prefix(words, _PROVINCE_WORDS)
        lead = " ".join(head[:size])
        if lead in keys and len(head) > size:
            return province(keys[lead]), head[size:]
    return None, words


def _exact(name: str, kind: str | None, scope: int | None) -> tuple[Commune, ...]:
    found = [u for u in _names().get(name, ()) if scope is None or u.province_code == scope]
    typed = [u for u in found if kind is not None and fold(u.kind) == kind]
    return tuple(typed or found)


def _closest(name: str, kind: str | None, scope: int | None, limit: int) -> tuple[Commune, ...]:
    names = _names()
    matches = process.extract(name, list(names), scorer=fuzz.WRatio, limit=limit * 4)
    close = [
        u
        for key, score, _index in matches
        if score >= FUZZY_CUTOFF
        for u in names[key]
        if scope is None or u.province_code == scope
    ]
    typed = [u for u in close if kind is not None and fold(u.kind) == kind]
    return tuple(typed or close)[:limit]


def closest_codes(code: str, limit: int = 3) -> tuple[Commune, ...]:
    """The communes whose code is nearest to a mistyped one (a digit off, or transposed)."""
    digits = code.strip().lstrip("0")
    codes = {str(c): c for c in _catalogue()[1]}
    matches = process.extract(digits, list(codes), scorer=fuzz.ratio, limit=limit)
    return tuple(u for key, _score, _i in matches if (u := commune(codes[key])) is not None)
