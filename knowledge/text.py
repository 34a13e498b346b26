"""Vietnamese text normalisation: one spelling for stored text, one accent-free key for search.

The portal mixes two tone-placement conventions for the open syllables ending in "oa", "oe" and
"uy" ("Ủy"/"Uỷ", "hóa"/"hoá", "thủy"/"thuỷ"). Stored text uses one of them: the tone on the
first vowel ("Ủy", "hóa", "hòa", "khỏe", "thủy"), the placement most portal records use (about
two in three occurrences in the July 2026 crawl). Syllables with a final consonant ("hoàn",
"khuyến") and the "qu" initial ("quý", "quả") are the same in both conventions and are left
alone.
"""

from __future__ import annotations

import re
import unicodedata

# The five Vietnamese tone marks as combining characters (grave, acute, tilde, hook, dot below).
_TONES = "\u0300\u0301\u0303\u0309\u0323"

# In NFD, "oá" is o + a + U+0301; the tone moves onto the "o" when the syllable ends there.
# "u" + "y" after "q" is the "qu" initial plus the vowel "y" ("quý"), so it keeps its tone.
_TONE_ON_SECOND = re.compile(
    rf"(?:(?P<o>[oO])(?P<ae>[aAeE])|(?<![qQ])(?P<u>[uU])(?P<y>[yY]))"
    rf"(?P<tone>[{_TONES}])(?![^\W\d_]|[\u0300-\u036f])"
)

# Invisible characters the portal pages carry (zero-width space/joiners, byte-order mark).
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"))
_SPACES = re.compile(r"\s+")
_LINE_SPACES = re.compile(r"[^\S\n]+")


def _move_tone(match: re.Match[str]) -> str:
    first = match["o"] or match["u"]
    second = match["ae"] or match["y"]
    return f"{first}{match['tone']}{second}"


def normalize_text(s: str, *, multiline: bool = False) -> str:
    """NFC text with one tone placement and no stray whitespace.

    Runs of whitespace become one space and the ends are trimmed. With ``multiline`` the line
    breaks survive (each line trimmed, blank lines dropped), for long texts such as conditions.
    """
    decomposed = unicodedata.normalize("NFD", s.translate(_INVISIBLE))
    text = unicodedata.normalize("NFC", _TONE_ON_SECOND.sub(_move_tone, decomposed))
    if not multiline:
        return _SPACES.sub(" ", text).strip()
    lines = (_LINE_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _fold_table() -> dict[int, str | None]:
    """Each accented Latin letter to its base letter; combining marks removed; "đ" to "d"."""
    table: dict[int, str | None] = dict.fromkeys(range(0x0300, 0x0370))
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        base = "".join(
            ch for ch in unicodedata.normalize("NFD", chr(code)) if not unicodedata.combining(ch)
        )
        if len(base) == 1 and base != chr(code):
            table[code] = base
    table[ord("đ")] = "d"
    table[ord("Đ")] = "D"
    return table


_FOLD = _fold_table()


def fold(s: str) -> str:
    """The search key of a text: lowercase, no diacritics, "đ" as "d".

    Each precomposed (NFC) letter gives exactly one character, so positions in the folded text
    match positions in an NFC original.
    """
    return s.lower().translate(_FOLD)
