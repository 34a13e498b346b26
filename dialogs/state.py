"""The conversation state: its versioned JSON shape and how older shapes are brought up to date.

The dispatcher stores the state verbatim as JSON, so everything here is plain dicts, lists,
strings, numbers and booleans. Shape (version 1)::

    {
      "v": 1,
      "step": "menu",                       # readable step id, e.g. "checklist:item"
      "locale": "en",                       # the user's own choice from the menu (wins)
      "platform_locale": "en",              # last language code the platform gave
      "proc": "1.001193",                   # the procedure being talked about
      "choices": ["1.001193", "2.000528"],  # procedures offered as "which case is yours?"
      "alts": ["1.004884"],                 # other procedures the last search found
      "checklists": {"1.001193": {...}},    # see dialogs.flows.checklist
      "buttons": [{"p": "cl:have:..."}, {"u": "https://...", "l": "..."}]
    }
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

VERSION = 1

_NEVER = datetime.min.replace(tzinfo=UTC)


def load(stored: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """A working copy of a stored state and whether it had to be reset.

    An empty dict is a new user. A state from another version has no migration yet (version 1
    is the first), so it is reset, keeping only the language the user chose; the caller tells
    the user kindly.
    """
    if not stored:
        return fresh(), False
    if stored.get("v") == VERSION and isinstance(stored.get("step"), str):
        state = copy.deepcopy(dict(stored))
        kept = state.get("checklists")
        if kept is not None:
            valid = kept.items() if isinstance(kept, dict) else ()
            state["checklists"] = {code: r for code, r in valid if _valid_checklist(r)}
        return state, False
    state = fresh()
    if isinstance(stored.get("locale"), str):
        state["locale"] = stored["locale"]
    return state, True


def _valid_checklist(record: object) -> bool:
    """A stored checklist the flows can work with (anything else is dropped, not crashed on)."""
    return (
        isinstance(record, dict)
        and isinstance(record.get("at"), int)
        and isinstance(record.get("n"), int)
        and isinstance(record.get("docs"), dict)
    )


def fresh() -> dict[str, Any]:
    """The state of a conversation that has just begun."""
    return {"v": VERSION, "step": "menu"}


def checklists(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-procedure checklists, created here: call it only to change them."""
    found = state.setdefault("checklists", {})
    assert isinstance(found, dict)
    return found


def checklist(state: Mapping[str, Any], code: str) -> dict[str, Any] | None:
    """The checklist kept for a procedure code, without creating anything."""
    found = state.get("checklists", {}).get(code)
    return found if isinstance(found, dict) else None


def codes(state: Mapping[str, Any], key: str) -> list[str]:
    """A list of procedure codes kept under ``key`` ("choices", "alts"), or an empty list."""
    value = state.get(key)
    return [c for c in value if isinstance(c, str)] if isinstance(value, list) else []


def merge(person: Mapping[str, Any], joining: Mapping[str, Any]) -> dict[str, Any]:
    """The shared state of a citizen who has just linked another app: nothing is lost.

    ``person`` is the state the citizen's linked apps already share, ``joining`` the state the
    newly linked app had on its own. Checklists are united by procedure code and, where both
    sides have one, the more recently used wins.
    The person's language choice stays (the joining app's only when the person made none), and
    so does everything else (step, procedure under discussion). The flows trim the lists to
    their limits the next time they add to them. A person with no state yet (the first app has
    just asked for a code) takes the joining state whole.
    """
    if not person:
        return load(joining)[0]
    merged, _reset = load(person)
    other, _reset = load(joining)
    united = dict(other.get("checklists", {}))
    for code, record in merged.get("checklists", {}).items():
        if code not in united or _used_at(record) >= _used_at(united[code]):
            united[code] = record
    if united:
        merged["checklists"] = united
    if "locale" not in merged and isinstance(other.get("locale"), str):
        merged["locale"] = other["locale"]
    return merged


def _used_at(record: Mapping[str, Any]) -> datetime:
    seen = record.get("seen")
    return _parsed(seen) if isinstance(seen, str) else _NEVER


def _parsed(stamp: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(stamp)
    except ValueError:
        return _NEVER
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
