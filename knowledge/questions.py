"""Questions that are not about finding a procedure: using the portal, and the law.

A citizen asking how to pay online or how to log in with VNeID needs a short true answer, not a
procedure card; one asking "có bị phạt không" asks for legal advice, which the assistant does
not give. Both are recognised from phrases kept as data (``knowledge/data/faq/``): curated
answers with their sources, and the cues of legal questions; in a long letter, only in the part
that asks (``knowledge.asking``), which is also what the procedure search reads first. Matching
ignores diacritics and looks for whole words, so "đăng nhập" is heard in "dang nhap vneid" but
not inside other words.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Protocol

from knowledge.asking import Asking
from knowledge.cues import Cue, Cues, read_cues
from knowledge.results import SAYS_LITTLE, SearchHit, SearchResult
from knowledge.search.tokens import question_keys, tokenize

SUPPORT = 10  # a letter's asking part's procedure must be among this many of the whole letter's
ECHOES = 0.2
"""A letter's asking part saying less than this share of its best name's weight only echoes a
few of its everyday words ("... đến đâu xác nhận?" and a name "... liên quan đến đầu tư ...");
calibrated on the tuning letters, where right answers read this way say 0.23 and more."""
NAMES_IT = 0.5
"""A letter (a story, then a question) gets its procedure as the answer only when it says at
least this share of the name's weight; otherwise the procedure is a "did you mean". A letter is
long: it shares everyday words ("khó khăn", "chi phí", "giấy xác nhận", "hưởng", "hàng tháng")
with many names, and the tuning letters' cards saying less than half their name were wrong
nearly as often as right (14 of 30), those saying more wrong one time in sixteen."""
CARD_SAYS = ((15, NAMES_IT), (8, 0.2))
"""(words, share): a message of at least this many words gets its procedure as the answer only
when it says at least this share of the name's weight (the first row that fits applies), else
the same procedures as a "did you mean"; a shorter one, a few words of its own naming the
procedure, always does. The longer a message, the more everyday words it shares with names it
does not mean. Calibrated on the 1,154 cards the tuning sets got before the rule (dev, eval,
letters, tune3 to tune9; ``python -m bench.cards``): sentences of 15 to 25 words saying less
than half their card's name were right 66 times in 79 (0.84), those of 8 to 15 words saying
under a fifth 8 times in 13; the other cells of short messages 0.92 to 0.98. Letters with a
separate asking part keep ``NAMES_IT`` whatever their length; their cards saying most of the
name are right 48 times in 57, the wrong ones asking about the rules in the name's own words,
which no share of the name tells apart."""
NEAR_TIE = 0.95
"""A procedure another one scores level with (at least this share of its score) gets the two as
"did you mean", not itself as the answer: the question fits both about as well ("làm thẻ căn
cước" a card for 14 and over and one for under 14; a wedding's marriage with a foreign element
and its re-registration). Calibrated on the tuning sets' cards (``python -m bench.cards
--card-rule``): right 0.79 to 0.87 of the time in every band of the best rival's score from
0.95 of the card's up, 0.95 to 0.99 in every band below. How many words the two names share
tells nothing more: near namesakes scoring level are right no more often than strangers. The
same procedure listed twice (``NAMESAKE_WORDS``) is no rival (``best_rival``)."""
NAMESAKE_WORDS = frozenset(
    tokenize("thủ tục giải quyết thực hiện tại cấp tỉnh trung ương huyện quận xã")
)
"""Words by which two names of one procedure differ: its provincial copy ("... (thực hiện tại
cấp tỉnh)"), the catalogue's entry of a detailed one ("HƯỞNG BẢO HIỂM XÃ HỘI MỘT LẦN" beside
"Giải quyết hưởng bảo hiểm xã hội một lần")."""
NAMES_KEPT = 2048
"""Procedure names whose words ``best_rival`` keeps: every answer compares its card's name with
its runners-up's, the same names again and again, which were tokenised anew each time."""


@dataclass(frozen=True, slots=True)
class HelpAnswer:
    """A curated answer about using the portal, in both languages, with its sources."""

    id: str
    vi: str
    en: str
    sources: tuple[str, ...]

    def text(self, locale: str) -> str:
        """The answer in the user's language (English for "en", Vietnamese otherwise)."""
        return self.en if locale.lower().startswith("en") else self.vi


@dataclass(frozen=True, slots=True)
class Law:
    """The cues of legal questions (``law.txt``), of questions about what the rules are
    (``rules.txt``), and of asking how to do something (``howto.txt``), which makes a question
    about the rules a procedure question ("có được hưởng không, hồ sơ gồm những gì?")."""

    cues: Cues[None]
    rules: Cues[None]
    howto: Cues[None]
    whether: Cues[None]


class Questions:
    """Recognises portal-usage and legal questions from the curated data files."""

    def __init__(
        self,
        help_entries: list[tuple[HelpAnswer, list[str]]],
        law: Law,
        asking: Asking,
    ) -> None:
        self.asking = asking
        self._help = Cues(
            (cue, answer)
            for answer, phrases in help_entries
            for cue in map(Cue.of, phrases)
            if cue is not None
        )
        self._law = law

    @classmethod
    def load(cls, folder: str | Path | None = None) -> Questions:
        """The curated data (``knowledge/data/faq`` by default)."""
        source = Path(folder) if folder else Path(str(resources.files("knowledge.data.faq")))
        document = tomllib.loads((source / "portal.toml").read_text(encoding="utf-8"))
        entries = [
            (
                HelpAnswer(e["id"], e["vi"].strip(), e["en"].strip(), tuple(e["sources"])),
                list(e["cues"]),
            )
            for e in document["entry"]
        ]
        law = Law(
            read_cues(source / "law.txt"),
            read_cues(source / "rules.txt"),
            read_cues(source / "howto.txt"),
            read_cues(source / "whether.txt"),
        )
        return cls(entries, law, Asking.load(source))

    def portal_help(self, query: str) -> HelpAnswer | None:
        """The curated answer whose cue the question says (the longest cue wins), or None."""
        found = list(self._help.said(question_keys(query)))
        if not found:
            return None
        # Among the longest cues said, the first in the data file's order.
        return min(found, key=lambda f: (-f[1].length, f[0]))[2]

    def about_law(self, query: str) -> bool:
        """Whether the question asks about the law: fines, legality, disputes, or only what
        the rules are (who may, when, how much) without asking how to do anything."""
        law = self._law
        return law.cues.any_in(query) or (law.rules.any_in(query) and not law.howto.any_in(query))

    def asks_whether(self, query: str) -> bool:
        """Whether the question asks if something is allowed, owed or how much ("có được …
        không", "bao nhiêu"), not how to do anything."""
        law = self._law
        return law.whether.any_in(query) and not law.howto.any_in(query)


class AnswerKind(StrEnum):
    """What kind of reply a question gets."""

    HELP = "help"  # a curated answer about using the portal
    LAW = "law"  # "I explain procedures, not legal advice", with a procedure when one fits
    PROCEDURE = "procedure"  # the procedure that fits (detailed, or known from the catalogue)
    UNSURE = "unsure"  # no sure fit: close procedures offered as "did you mean"
    NONE = "none"  # nothing fits
    DECLINED = "declined"  # staff marked the question out of scope and wrote the reply to give


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply a question gets, decided in one place for the chat and the benchmark."""

    kind: AnswerKind
    result: SearchResult
    help: HelpAnswer | None = None
    reply: str | None = None
    """The staff's reply to an out-of-scope question (``DECLINED``)."""


class Search(Protocol):
    """The procedure search: a query, the user's language, how many procedures, and the letter
    the query was asked in, when it is a letter's asking part."""

    def __call__(
        self, query: str, locale: str, limit: int, story: str | None = None, /
    ) -> SearchResult: ...


def route(questions: Questions, search: Search, query: str, locale: str, limit: int) -> Answer:
    """Portal help first, then the law, then the procedure search's tiers.

    A question asking whether something is allowed or how much ("có được … không", "bao
    nhiêu") whose best procedure is a name it says little of (``SAYS_LITTLE``) is one about the
    rules too: the name only happens to share its words. A legal question still carries the
    search result, so a procedure it clearly involves can be offered beside the disclaimer;
    portal help does too ("nộp lệ phí trực tuyến khai sinh").
    A long letter is read by the part that asks (with the sentence before it when the part
    points back there, ``_read_asking_part``), the part and the whole letter searched with the
    letter as their story, where a situation's who may be told (``~`` in ``situations.tsv``,
    heard up to ``STORY_CHARS``): portal help and the law are heard in the part
    only, and its procedure wins over the whole letter's when the letter supports it (see
    ``_read_by_asking``), as the answer only when the letter says most of its name
    (``NAMES_IT``), else as a "did you mean", and a long question likewise (``CARD_SAYS``);
    when neither names a procedure, one of its asking clauses alone may, as a guess, if it
    says its name better than the letter's own guesses (``_guess_by_clause``,
    ``_better_guesses``). Any question whose procedure another one scores level with gets
    both as "did you mean" (``NEAR_TIE``), the order kept.
    """
    asked = questions.asking.part(query)
    if asked is None:
        result = search(query, locale, limit)
    else:
        result = _read_by_asking(
            _read_asking_part(questions.asking, search, query, asked, locale, limit),
            search(query, locale, max(limit, SUPPORT), query),
            limit,
        )
    help_answer = questions.portal_help(asked or query)
    if help_answer is not None:
        return Answer(AnswerKind.HELP, result, help_answer)
    weak = result.match is not None and result.match.said < SAYS_LITTLE
    if questions.about_law(asked or query) or (weak and questions.asks_whether(asked or query)):
        return Answer(AnswerKind.LAW, result)
    if result.match is not None:
        if result.match.said < _card_says(query, asked) or _near_tie(result.match, result):
            hits = (result.match, *result.alternatives)
            return Answer(AnswerKind.UNSURE, _guesses(query, hits, limit))
        return Answer(AnswerKind.PROCEDURE, result)
    if asked is not None:
        guessed = _guess_by_clause(questions.asking.clauses(query), search, query, locale, limit)
        result = _better_guesses(result, guessed)
    return Answer(AnswerKind.UNSURE if result.candidates else AnswerKind.NONE, result)


def _read_asking_part(
    asking: Asking, search: Search, query: str, asked: str, locale: str, limit: int
) -> SearchResult:
    """The asking part's result, or that of the part read with the sentence before it.

    A part pointing back there ("Vậy em cần mang giấy tờ gì ...?", ``Asking.lead_in``) that
    by itself names no procedure, or says too little of its best one to get it as the answer
    (``NAMES_IT``), left its subject in that sentence. One saying enough keeps its own reading:
    "Vậy muốn làm lại thì phải làm chứng minh trước hay bằng lái trước?" names both papers, and
    the sentence before would only add the story's words.
    """
    found = search(asked, locale, limit, query)
    if found.match is not None and found.match.said >= NAMES_IT:
        return found
    lead_in = asking.lead_in(query)
    return found if lead_in is None else search(lead_in, locale, limit, query)


def _card_says(query: str, asked: str | None) -> float:
    """The share of its best name a message must say to get it as the answer (``CARD_SAYS``)."""
    if asked is not None:
        return NAMES_IT
    words = len(question_keys(query))
    return next((share for least, share in CARD_SAYS if words >= least), 0.0)


def best_rival(match: SearchHit, runners_up: tuple[SearchHit, ...]) -> SearchHit | None:
    """The best-scoring runner-up that is another procedure, not ``match`` listed again
    (``NAMESAKE_WORDS``); None when there is none among those the search returned."""
    words = name_words(match.name)
    rivals = [h for h in runners_up if not (words ^ name_words(h.name)) <= NAMESAKE_WORDS]
    return max(rivals, key=lambda h: h.score, default=None)


@lru_cache(maxsize=NAMES_KEPT)
def name_words(name: str) -> frozenset[str]:
    """The search keys of a procedure's name, as a set."""
    return frozenset(tokenize(name))


def _near_tie(match: SearchHit, result: SearchResult) -> bool:
    """Whether another procedure than ``match`` scores level with it (``NEAR_TIE``), among the
    runners-up the search returned: a caller reading fewer may miss a rival behind the card's
    own copies at other levels (the chat and ``bench.answers`` read the same number)."""
    rival = best_rival(match, result.alternatives)
    return rival is not None and rival.score >= NEAR_TIE * match.score


def _better_guesses(result: SearchResult, guessed: SearchResult | None) -> SearchResult:
    """The letter's own guesses, or one clause's when that clause says its first name better.

    A clause of the story ("Sau nhiều lần tìm kiếm ... không tìm lại được giấy tờ trên") may
    name something, but a letter whose asking part already guesses a name it says whole
    ("xin cấp lại giấy phép lái xe") keeps that guess.
    """
    if guessed is None:
        return result
    if result.candidates and result.candidates[0].said >= guessed.candidates[0].said:
        return result
    return guessed


def _guess_by_clause(
    clauses: list[str], search: Search, query: str, locale: str, limit: int
) -> SearchResult | None:
    """The "did you mean" of the first asking clause that names a procedure by itself.

    A letter neither whose asking part nor whose whole text names a procedure may still name
    one in a single clause, its other sub-questions ("lệ phí bao nhiêu, cơ quan nào giải
    quyết") having diluted it. Out of its letter a clause may have lost what it refers to, so
    what it names is offered as a guess, never given as the answer.
    """
    for clause in clauses:
        found = search(clause, locale, limit)
        if found.match is not None:
            return _guesses(query, (found.match, *found.alternatives), limit)
    return None


def _guesses(query: str, hits: tuple[SearchHit, ...], limit: int) -> SearchResult:
    """A result that names ``hits`` as "did you mean" only."""
    return SearchResult(
        query, None, candidates=tuple(replace(h, variant=False) for h in hits)[:limit]
    )


def _read_by_asking(asked: SearchResult, whole: SearchResult, limit: int) -> SearchResult:
    """One result for a letter from its asking part's and its whole text's.

    The asking part alone may have lost the subject to the story ("Nghe nói có bảo hiểm xã
    hội tự nguyện... Cho tôi hỏi đăng ký tham gia như thế nào?"), so its sure procedure is the
    answer only when the whole letter ranks it among its first ``SUPPORT`` too, or ranks
    nothing at all (its story drowned every name); otherwise the whole letter's sure procedure
    is. A sure procedure whose name the asking part only echoes (``ECHOES``) shares a few
    everyday words with it, the part having left its subject in the story ("... giấy xác nhận
    tình trạng độc thân. Muốn xin giấy trên, ... đến đâu để được xác nhận?"): the whole
    letter's procedure wins over it when the letter says that one's name (``SAYS_LITTLE``).
    With neither sure, the guesses are the asking part's when it has only guesses, the whole
    letter's when the asking part was sure of a procedure the letter does not support, and
    never an answer.
    """
    shown = [*([whole.match] if whole.match else []), *whole.alternatives, *whole.candidates]
    named = whole.match is not None and whole.match.said >= SAYS_LITTLE
    if asked.match is not None and asked.match.said < ECHOES and named:
        return replace(whole, alternatives=whole.alternatives[: max(limit - 1, 0)])
    if asked.match is not None and (not shown or asked.match.code in {h.code for h in shown}):
        return replace(asked, query=whole.query)
    if whole.match is not None:
        return replace(whole, alternatives=whole.alternatives[: max(limit - 1, 0)])
    if asked.match is None and asked.candidates:
        return replace(asked, query=whole.query)
    if whole.candidates:  # the asking part's sure procedure has lost the letter's subject
        return replace(whole, candidates=whole.candidates[:limit])
    guesses = (asked.match, *asked.alternatives)
    return _guesses(whole.query, tuple(h for h in guesses if h is not None), limit)
