"""Old addresses (before 1 July 2025: 63 provinces, districts, communes) to the units now.

The parsing of an old address and the old→new mapping are the ``vietnamadminunits`` library's
(its ``converter_2025.json`` is built from the National Assembly Standing Committee's 2025
resolutions on rearranging commune-level units). Its own ``convert_address`` is not used: for
an old commune split between several new ones it geocodes the street over the network and
guesses; here every new unit the old one went to is returned, and the citizen chooses. An old
district alone (districts were abolished) gives every unit its communes went to.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from knowledge.communes.units import Commune, commune
from knowledge.text import fold

_WORDS = re.compile(r"[a-z0-9]+")
_OLD_KINDS = ("phuong", "thitran", "xa")


@dataclass(frozen=True, slots=True)
class OldAddress:
    """An old address understood: its old names, and the units it now belongs to."""

    old: str  # "Xã Tân Lập, Huyện Đan Phượng, Thành phố Hà Nội"
    communes: tuple[Commune, ...]


@cache
def _data() -> tuple[dict[str, set[str]], dict[str, dict[str, Any]], dict[str, str]]:
    """(old "province_district_ward" key -> new ward keys), new wards' data, old province ->
    new province key."""
    package = resources.files("vietnamadminunits") / "data"
    converter = json.loads((package / "converter_2025.json").read_text(encoding="utf-8"))
    parser = json.loads((package / "parser_from_2025.json").read_text(encoding="utf-8"))
    old_to_new: dict[str, set[str]] = {}
    provinces: dict[str, str] = {}
    for new_province, old_provinces in converter["DICT_PROVINCE"].items():
        for old_province in old_provinces:
            provinces[old_province] = new_province
    for new_province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, old_keys in wards.items():
            for old_key in old_keys:
                old_to_new.setdefault(old_key, set()).add(f"{new_province}/{new_ward}")
    for new_province, divided in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, new_wards in divided.items():
            for ward in new_wards:
                old_to_new.setdefault(old_key, set()).add(f"{new_province}/{ward['newWardKey']}")
    return old_to_new, parser["DICT_PROVINCE_WARD_NO_ACCENTED"], provinces


def _unit(new_key: str) -> Commune | None:
    new_province, new_ward = new_key.split("/", 1)
    ward = _data()[1].get(new_province, {}).get(new_ward)
    return commune(int(ward["wardCode"])) if ward else None


def understand(text: str) -> OldAddress | None:
    """The units an old address (a commune with its district, or a district) now belongs to.

    None when the text names no old district: a bare commune name is a new unit's name or
    nothing, and the caller searches the new units for it.
    """
    from vietnamadminunits import ParseMode, parse_address  # heavy: loaded on first use

    try:
        old = parse_address(text, mode=ParseMode.LEGACY, keep_street=False, level=3)
    except (ValueError, KeyError, AttributeError, TypeError):
        return None
    if not old.province_key:
        return None
    old_to_new = _data()[0]
    if old.district_key:
        prefix = f"{old.province_key}_{old.district_key}_"
        matching = [key for key in old_to_new if key.startswith(prefix)]
        if old.ward_key:
            matching = [prefix + old.ward_key]
        names = [n for n in (old.ward, old.district, old.province) if n]
    else:
        matching = _communes_named(old.province_key, text)
        names = [" ".join(text.split())]
    keys = {new for key in matching for new in old_to_new.get(key, ())}
    units = {u.code: u for key in keys if (u := _unit(key)) is not None}
    if not units:
        return None
    return OldAddress(", ".join(names), tuple(sorted(units.values(), key=lambda u: u.name)))


def _communes_named(province_key: str, text: str) -> list[str]:
    """Old keys of the province's communes named in ``text`` without their district.

    The library's parser needs the district to find an old commune; "xã Tân Lập, tỉnh Phú
    Thọ" names none, so the province's old communes are matched by name (each district's
    commune of that name: the caller asks which).
    """
    words = _WORDS.findall(fold(text))
    spans = {"".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
    found = []
    for key in _data()[0]:
        old_province, _district, ward = key.split("_", 2)
        if old_province != province_key or not ward:
            continue
        bare = next((ward[len(p) :] for p in _OLD_KINDS if ward.startswith(p)), ward)
        if ward in spans or (bare in spans and len(bare) > 3):
            found.append(key)
    return found
