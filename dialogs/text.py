"""Reading what a citizen typed: cleaning, commands, digits and reminder requests.

Citizens type without diacritics, paste whole documents, send emoji or stray control
characters; everything here turns that into something the flows can act on calmly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from dialogs.messages import Button
from knowledge.text import fold

MAX_QUERY_CHARS = 300
"""Longer text is cut before searching: no procedure name is longer, and search cost grows."""

MAX_NOTE_CHARS = 1000
"""The most of a free-text note (a question for staff) kept in the state."""

_COMMANDS = {
    "start": "start",
    "menu": "menu",
    "help": "help",
    "giup": "help",
    "tro giup": "help",
    "cancel": "cancel",
    "huy": "cancel",
    "thoat": "cancel",
    "link": "link",
    "lien ket": "link",
    "lien ket tai khoan": "link",
    "xoa du lieu cua toi": "forget",
    "xoa du lieu": "forget",
    "xoa_du_lieu": "forget",
    "delete my data": "forget",
    "stop": "unsubscribe",
    "huy dang ky": "unsubscribe",
    "unsubscribe": "unsubscribe",
    # The menu's own words, typed by those who type rather than tap (Vietnamese and English).
    **dict.fromkeys(("kiem tra giay to", "check my documents"), "documents"),
    **dict.fromkeys(("nop ho so", "nop ho so truc tuyen", "submit a dossier"), "submit"),
    **dict.fromkeys(
        # "hồ sơ" alone: one's dossiers, with "Nộp hồ sơ" offered when there are none yet.
        (
            "ho so",
            "xem ho so",
            "tra cuu ho so",
            "ho so cua toi",
            "ho so da nop",
            "my dossiers",
            "look up a dossier",
        ),
        "lookup",
    ),
    **dict.fromkeys(("hoi ve thu tuc", "ask about a procedure"), "ask"),
    **dict.fromkeys(("tham gia to cong nghe so", "join the digital-technology group"), "join"),
    **dict.fromkeys(("thong bao cua xa", "commune announcements"), "news"),
    **dict.fromkeys(
        ("hoi can bo", "gap can bo", "noi chuyen voi can bo", "talk to staff"), "staff"
    ),
    # A language named is that language chosen: read as the question, "English" typed at the
    # question asked it again.
    **dict.fromkeys(("ngon ngu", "language"), "language"),
    **dict.fromkeys(("tieng anh", "english"), "language:en"),
    **dict.fromkeys(("tieng viet", "vietnamese"), "language:vi"),
}
_SMALL_TALK = {
    **dict.fromkeys(("chao", "xin chao", "alo", "hello", "hi", "hey", "good morning"), "hello"),
    **dict.fromkeys(
        (
            "cam on",
            "camon",
            "tks",
            "thanks",
            "thank",
            "thank you",
            "thanks a lot",
            "thank you very much",
            "thank you so much",
            "many thanks",
            "thx",
            "tot qua",
            "hay qua",
        ),
        "thanks",
    ),
    **dict.fromkeys(
        (
            "ok",
            "oke",
            "okay",
            "oki",
            "okie",
            "vang",
            "da",
            "u",
            "uh",
            "uhm",
            "um",
            "uk",
            "o",
            "co",
            "yes",
            "sure",
            "fine",
            "got it",
            "alright",
            "all right",
            "great",
            "duoc",
            "roi",
            "hieu",
            "biet",
            "ro",
            "khong co gi",
            "dung roi",
        ),
        "ok",
    ),
    **dict.fromkeys(("bye", "bye bye", "see you", "tam biet", "goodbye", "hen gap lai"), "bye"),
    **dict.fromkeys(
        (
            "dung lai",
            "thoi",
            "khong can",
            "ko can",
            "k can",
            "no thanks",
            "never mind",
            "xong",
            "het",
            "tam dung",
            "de sau",
        ),
        "stop",
    ),
    **dict.fromkeys(("khong", "ko", "k", "kg", "no", "nope"), "no"),
    **dict.fromkeys(
        (
            "gi",
            "ha",
            "the nao",
            "khong biet",
            "ko biet",
            "chua biet",
            "khong hieu",
            "chua hieu",
            "help me",
            "what",
            "what now",
            "what is this",
            "what can you do",
            "who are you",
            "giup",
            "can giup",
            "ban la ai",
            "ai day",
            "ai do",
            "quay lai",
            "tro lai",
            "lam lai",
            "cho chut",
            "doi chut",
        ),
        "what",
    ),
}
"""Short messages that name no procedure, by what they say: a greeting, thanks, "all right",
goodbye, "stop that" ("thôi", "dừng lại"), or "what now?" ("gì", "giúp tôi"). Searched, "dung
lai" found a procedure "xây dựng lại" a building."""

_SMALL_TALK_FIRST = ("thanks", "bye", "hello", "stop", "no", "ok", "what")
"""Which one a message of several says: "ok cảm ơn" thanks, "ok thôi" stops."""

_PARTICLES = frozenset(
    (
        *("a", "ah", "nhe", "nha", "nhen", "nhi", "ne", "vay", "oi", "nua", "roi", "luon", "voi"),
        *(
            "ban",
            "em",
            "anh",
            "chi",
            "toi",
            "minh",
            "tui",
            "nhieu",
            "lam",
            "qua",
            "di",
            "da",
            "please",
            "pls",
        ),
    )
)
"""Words that only soften or address ("ạ", "nhé", "bạn", "nhiều"): "cảm ơn bạn nhiều nhé" says
what "cảm ơn" does, "dạ vâng ạ" what "vâng" does."""

_MAX_SHORT_WORDS = 8
"""A message longer than this is read as a question, whatever its words."""
AGREEMENT = {
    **dict.fromkeys(("dong y", "toi dong y", "co", "co dong y", "dong y a", "yes", "agree"), True),
    **dict.fromkeys(("khong", "khong dong y", "toi khong dong y", "no"), False),
}
"""Answers to "Do you agree?" typed in words: each says yes or no in so many words."""

PAUSE_WORDS = ("thoi", "dung lai", "tam dung", "de sau", "lat nua", "pause")
"""What those who type say to stop for now ("thôi", "dừng lại nhé"), wherever a step can wait
with everything kept (a checklist, a filing); each step adds its own ("dừng" alone is no pause
where a name is asked: "Dung" is one)."""

SEND_WORDS = frozenset(("gui", "gui di", "gui luon", "send", "send it"))
"""A review's "Send" in the words citizens type for it ("gửi", "gửi đi")."""

_ASKS_PAPERS = re.compile(
    r"^(?:vay |the |thi |cho (?:toi |em |minh )?hoi )?(?:(?:toi|em|minh|tui) )?"
    r"(?:(?:can|phai|can phai) )?(?:(?:mang|nop|chuan bi|co) )?(?:nhung )?"
    r"(?:giay to|ho so)(?: (?:gom|can|phai co))?(?: nhung)? (?:gi|nao)"
    r"(?: (?:a|vay|nhi|the|ha|ah|nhe))*$"
    r"|^(?:so )?(?:what|which) (?:papers|documents)"
    r"(?: (?:do i|should i|must i) (?:need|bring)| are needed| to bring| do i need to bring)?$"
)
"""A bare "what papers?" ("cần giấy tờ gì", "hồ sơ gồm những gì ạ", "what documents do I need"):
asked right after a card, it is about that procedure, not a search (alone, it names none)."""
_TAG = re.compile(r"<[^>]{0,200}>")
_SPACE = re.compile(r"\s+")
_DIGIT = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")
_WORD = re.compile(r"\w+")
_REMINDED = frozenset(("toi", "minh", "tui", "em", "anh", "chi", "me", "bo", "lai", "nho", "giup"))
"""Words after a "nhac" typed without tones that make it "nhắc" (remind): whom, or "again"."""


def clean(text: str, limit: int = MAX_QUERY_CHARS) -> str:
    """Text safe to search or store: NFC, no markup, no control characters, one-line, bounded.

    The cut happens first so that a 100 kB paste costs no more than a short message.
    """
    text = unicodedata.normalize("NFC", text[: limit * 4])
    text = _TAG.sub(" ", text)
    kept = [c if _is_text_char(c) else " " for c in text]
    return _SPACE.sub(" ", "".join(kept)).strip()[:limit].strip()


def _is_text_char(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LNP" or char == " " or category == "Sm"


def has_words(text: str) -> bool:
    """Whether the text has at least one letter or digit (emoji-only or punctuation does not)."""
    return any(unicodedata.category(c)[0] in "LN" for c in text)


def command(text: str) -> str | None:
    """The command a message asks for: "/start", "/menu@bot", "hủy", "help"... or None; its
    argument, if any, after a colon ("language:en")."""
    words = fold(text).strip().rstrip(".!?").strip()
    if words.startswith("/"):
        words = words[1:].split("@", 1)[0].split(" ", 1)[0]
    return _COMMANDS.get(words)


def small_talk(text: str) -> str | None:
    """ "hello" for a greeting ("chào", "alo"), "thanks" for "cảm ơn", "ok" for "ok" or "vâng",
    "bye" for "tạm biệt", "stop" for "thôi" or "dừng lại", "no" for "không", "what" for "gì"
    or "giúp tôi":
    a message made only of such words (and "ạ", "nhé", "bạn"), which names no procedure."""
    kinds = phrase_kinds(text, _SMALL_TALK)
    return next((kind for kind in _SMALL_TALK_FIRST if kind in kinds), None) if kinds else None


def phrase_kinds(text: str, vocabulary: Mapping[str, str]) -> set[str] | None:
    """What a short message says, read as phrases of ``vocabulary`` (its folded words, longest
    first, each mapped to a kind; "" for words that say nothing alone, such as "giấy này"),
    with the softening words between them left out: "chưa có ạ" is {"miss"} for a checklist's.
    None when a word is neither, or the message is long: it is then a question to search.

    A message that is only a softening word ("rồi", "dạ") is read whole, as its own phrase.
    """
    words = _bare_words(text).split()
    if not words or len(words) > _MAX_SHORT_WORDS:
        return None
    if (whole := vocabulary.get(" ".join(words))) is not None:
        return {whole} - {""}
    kinds: set[str] = set()
    at = 0
    while at < len(words):
        size = next(
            (
                n
                for n in range(len(words) - at, 0, -1)
                if " ".join(words[at : at + n]) in vocabulary
            ),
            0,
        )
        if size:
            kinds.add(vocabulary[" ".join(words[at : at + size])])
        elif words[at] not in _PARTICLES:
            return None
        at += size or 1
    return kinds - {""}


def asks_papers(text: str) -> bool:
    """Whether the message only asks which papers are needed, naming no procedure."""
    return _ASKS_PAPERS.match(_bare_words(text)) is not None


def _bare_words(text: str) -> str:
    """The words of a short message, folded, punctuation and extra spaces gone: "Cảm ơn!" is
    "cam on", "Hồ sơ gồm những gì ạ?" is "ho so gom nhung gi a"."""
    return _SPACE.sub(" ", re.sub(r"[^\w\s]", " ", fold(text))).strip()


def digit(text: str) -> int | None:
    """The number when a message is just a number ("2", "2.", " 3 "), for numbered lists."""
    found = _DIGIT.match(text)
    return int(found.group(1)) if found else None


def typed_button(text: str, offered: Sequence[Button], numbered: int = 0) -> Button | None:
    """The button a citizen typed rather than tapped: its label ("me" for "Mẹ", "bo qua" for
    "Bỏ qua", diacritics and case aside), or its number among the first ``numbered`` buttons,
    as chats without buttons show them and as a question's numbered list reads."""
    typed = fold(text).strip(" .!")
    found = next((b for b in offered if fold(b.label) == typed), None)
    number = digit(text)
    if found is None and number is not None and 1 <= number <= min(numbered, len(offered)):
        found = offered[number - 1]
    return found


def asks_reminder(text: str) -> bool:
    """Whether the citizen asks to be reminded ("nhắc tôi…", "remind me…"); the time is read
    by ``dialogs.dates``. "nhạc" (music) folds to the same "nhac": typed with its tone, only
    "nhắc" asks; typed without, "nhac" asks first in the message or before whom to remind
    ("nhac toi"), never in "am nhac"."""
    words = _WORD.findall(unicodedata.normalize("NFC", text).casefold())
    for at, word in enumerate(words):
        if word in ("nhắc", "remind"):
            return True
        following = fold(words[at + 1]) if at + 1 < len(words) else ""
        if word == "nhac" and (at == 0 or following in _REMINDED):
            return True
    return False
