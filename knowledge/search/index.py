"""The in-memory procedure search: rewrite the query, score names by weighted term coverage.

Each procedure is indexed by the folded syllables and syllable pairs of its name (strongest) and
of its field and result, with abbreviations expanded ("BHXH" → "bảo hiểm xã hội"). A query is
folded the same way, the filler of a told situation dropped ("mà", "thì", "lâu" unless they
form a phrase of a name), its typos corrected against the known vocabulary (words typed with
their diacritics are taken as written), its shorthand, everyday and English phrases rewritten
into the words procedure names use (a long rewrite weighs about as much as the few words it
replaced), and the terms of the situations it describes added ("sinh con" and "tiền" → "chế độ
thai sản"). Then every procedure gets:

- the share of the query's weight (inverse document frequency) its text covers;
- a bonus for names the query covers well (short, exact names beat long ones that merely
  contain the words), for names that start with a phrase of the query, and for fields that
  name the query's domain ("Hoạt động xây dựng" for a building permit);
- a boost for the procedures citizens use most;
- a penalty for special cases (foreign element, re-registration, mobile, upper levels) and other
  operations (reissue, exchange, change) the query did not ask for, unless the name offers the
  plain operation too ("Đăng ký, đăng ký lại, điều chỉnh...").

Matching ignores diacritics, so the leaders lose the matches of words the query typed with other
marks ("bão" is not "bảo"). A query whose words fit no name well enough (unless it says a whole
name, or is a long story that says a good part of one), that shares no two-word phrase with the
best name, that is small talk not fitting very well, or that says only an operation or a special
case ("cấp lại", "lost it") and not what it applies to, gets no procedure. Everything is
precomputed into numpy posting arrays, so one query costs a few array sums.
"""

from __future__ import annotations

import itertools
import math
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from cachetools import LRUCache
from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge.model import Procedure
from knowledge.results import SAYS_LITTLE, SearchHit, SearchResult
from knowledge.search.ages import bands_said
from knowledge.search.lexicon import Heard, Lexicon, Phrase, Topic, VariantMarker, read_senses
from knowledge.search.tokens import (
    clause_starts,
    fits_marks,
    looks_foreign,
    marks,
    spelled_keys,
    spelled_words,
    syllable_key,
    telex_key,
    tokenize,
)
from knowledge.text import fold

PENALTIES_KEPT = 16
"""Sets of waived markers whose penalties an index keeps (a 23 KB array each on the shipped
base): half the questions waive none, and the rest a few of some fifty markers, the same few
sets again and again ("lại", "cấp lại")."""
RESULTS_KEPT = 1024
"""Queries whose results an index keeps, for the questions citizens ask again and again
("đăng ký khai sinh"): ranking one costs about a millisecond, finding it kept microseconds.
An index never changes once built (a new import builds a new one), so a kept result stays
right; the bound caps the memory (queries are at most a message long)."""
STORIES_KEPT = 64  # letters whose story is kept heard: the searches of one letter follow each other
BIGRAM_WEIGHT = 0.6  # a two-syllable phrase counts this much on top of its syllables
CONTEXT_WEIGHT = 0.35  # a term found only in the field or result counts this much
PRECISION_WEIGHT = 0.3  # bonus scale for the share of the name's weight the query covers
LEAD_WEIGHT = 0.08  # bonus when the name starts with a phrase of the query
FIELD_WEIGHT = 0.3  # bonus scale for the share of the query's weight the field names
NAMED_FIELD = 0.3  # and for the share its everyday words name (``fields.tsv``): a citizen
# names the field so ("thương binh" for "Người có công"), seldom by its own name
UNKNOWN_IDF = 2.0  # weight of a query word no procedure uses: it lowers every coverage
LEVEL_PENALTY = 0.02  # province-only procedures; ministry-only ones get twice as much
CATALOGUE_PENALTY = 0.1  # known from the catalogue only: a detailed procedure comes first,
# unless the query says the catalogue name: the penalty shrinks with the share of the name's
# weight the query covers, so "hưởng trợ cấp thất nghiệp" finds the catalogue's "Hưởng trợ cấp
# thất nghiệp" before a detailed name that only contains it ("Ủy quyền lĩnh thay ... trợ cấp
# thất nghiệp")
SAID_NAME = 0.6  # ... when the query says this share of the catalogue name's weight
SAID_BETTER = 0.25  # and this much more of it than of any detailed rival's name
RIVAL_COVERAGE = 0.8  # whose coverage is at least this share of the catalogue entry's
LOCAL_PENALTY = 0.3  # a province's own procedure: the national one comes first
ABROAD_PENALTY = 0.3  # done at the missions abroad (Foreign Affairs): for citizens living there
MIN_COVERAGE = 0.4  # below this share of the query's weight, nothing fits (calibrated on off-topic)
UNSURE_COVERAGE = 0.25  # a best name covering this much without fitting is only a "did you mean"
WHOLE_NAME = 0.8  # a query saying this much of a name's weight names the procedure,
WHOLE_NAME_COVERAGE = 0.3  # so it needs only this share of coverage (the rest is its story)
STORY_TOKENS = 6  # a query this long (content words, once rewritten) tells a story,
STORY_PRECISION = 0.3  # so saying this much of a name's weight
STORY_COVERAGE = 0.28  # with this share of coverage names the procedure
SMALL_TALK_COVERAGE = 0.85  # small talk needs this much to be taken as a procedure question,
SMALL_TALK_PRECISION = 0.5  # and to cover this much of the procedure's name
CONTESTED_SCORE = 0.95  # a rival scoring this share of the best's score is level with it,
SIBLING_SHARE = 0.5  # unless their names share this much of their syllables (the same
# procedure for another age, level or case); this many level strangers
CONTESTED_RIVALS = 3
CONTESTED_PRECISION = 0.5  # make a best whose name the query says less than this a guess
NARROW_COVERAGE = 0.6  # a best the query says little of (SAYS_LITTLE), covering less than this,
# is a guess beside a single level stranger
SAID_PART = 0.5  # a best the query says less than this share of its name's weight
SAID_LEVEL = 0.9  # loses to a name scoring at least this share of its score
SAID_WHOLE = 0.75  # that the query says at least this share of (see ``_said_whole``)
OPERATION_WORDS = 3  # an operation a name lists before its object is this many words at most
LIFT = 1e-4  # how far a name put first is lifted above the score of the one it passes
COMMON_PAIR_SHARE = 100  # a pair in one name in this many is a common phrase of names
RARE_SYLLABLE = 2  # a syllable in at most this many names may be a typo of a common one
RESPELL_ROUNDS = 20  # leaders checked for words that only match without their diacritics
MAX_QUERY_CHARS = 300  # longer messages are cut: a question never needs more
STORY_CHARS = 2000  # a letter's story is heard this far for cues: who died is often told late
_INDEXED_ABBREVIATION = 3  # expand abbreviations of at least this many letters in names


@dataclass(frozen=True, slots=True)
class _Analysis:
    """A query after folding, correction and rewriting."""

    tokens: tuple[str, ...]  # rewritten search keys, in order
    weights: tuple[float, ...]  # each token's share of weight (long expansions weigh less)
    said: frozenset[Phrase]  # every short phrase of the query, as typed and as rewritten
    heard: frozenset[Topic]  # the small-talk phrases and cues the query says
    implied: tuple[Phrase, ...]  # terms of the situations the query describes
    small_talk: bool  # the query speaks of weather, prices, jokes...
    marked: tuple[tuple[str, str], ...]  # (key, word): words kept as typed, with diacritics


@dataclass(frozen=True, slots=True)
class _Scores:
    total: np.ndarray  # the ranking score of every procedure
    coverage: np.ndarray  # share of the query's weight each procedure covers
    phrase: np.ndarray  # weight of the query's phrases (syllable pairs) in each name
    precision: np.ndarray  # share of each name's weight the query covers
    terms: tuple[int, ...]  # the query's known terms (syllables and pairs)
    weight: float  # the query's whole weight, unknown words included


class SearchIndex:
    """Ranks procedures for citizen queries; build once, then query as often as needed."""

    def __init__(self, procedures: Sequence[Procedure], lexicon: Lexicon | None = None) -> None:
        self._lexicon = lex = lexicon or Lexicon.load()
        self._procedures = tuple(procedures)
        n = len(self._procedures)
        names_abbr = lex.abbreviations.where(lambda k: len("".join(k)) >= _INDEXED_ABBREVIATION)
        name_tokens = [_interned(names_abbr.rewrite(tokenize(p.name))) for p in self._procedures]
        field_tokens = [names_abbr.rewrite(tokenize(p.field)) for p in self._procedures]
        context_tokens = [
            _interned([*field, *names_abbr.rewrite(tokenize(p.result))])
            for p, field in zip(self._procedures, field_tokens, strict=True)
        ]
        df: Counter[str] = Counter()
        for names, context in zip(name_tokens, context_tokens, strict=True):
            df.update(_terms(names) | _terms(context))
        vocabulary = sorted(df)
        self._vocabulary = vocabulary
        self._terms = {t: i for i, t in enumerate(vocabulary)}
        self._idf = np.array(
            [
                math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) * (BIGRAM_WEIGHT if " " in t else 1)
                for t in vocabulary
            ],
            dtype=np.float32,
        )
        name_ids = [self._ids(_terms(t)) for t in name_tokens]
        self._name_postings = _Postings(len(vocabulary), name_ids)
        self._context_postings = _Postings(
            len(vocabulary),
            [
                np.setdiff1d(self._ids(_terms(c)), names, assume_unique=True)
                for c, names in zip(context_tokens, name_ids, strict=True)
            ],
        )
        unigram = np.array([" " not in t for t in vocabulary])
        self._name_syllables = [ids[unigram[ids]] for ids in name_ids]
        # Each name's weight, never zero: the share of it a query says divides by it.
        self._name_weight = np.maximum(
            np.array([self._idf[ids].sum() for ids in self._name_syllables], dtype=np.float32),
            1e-6,
        )
        everyday = [self._everyday_terms(p.field, lex) for p in self._procedures]
        self._field_postings = _Postings(
            len(vocabulary),
            [self._ids(_terms(f) | e) for f, e in zip(field_tokens, everyday, strict=True)],
        )
        # The phrases that name each procedure's field in everyday words.
        self._field_named = _Postings(len(vocabulary), [self._ids(e) for e in everyday])
        del name_ids, context_tokens, field_tokens
        self._lead = _leads(name_tokens, self._terms)
        self._syllables = [t for t in vocabulary if " " not in t]
        self._df = {t: df[t] for t in self._syllables}
        self._common_pairs = frozenset(
            t for t, count in df.items() if " " in t and count >= max(2, n // COMMON_PAIR_SHARE)
        )
        self._prior = np.array(
            [
                lex.priors.get(p.code, 0.0) - _level_penalty(p) - _source_penalty(p)
                for p in self._procedures
            ],
            dtype=np.float32,
        )
        self._catalogue = np.array([p.catalogue_only for p in self._procedures], dtype=bool)
        self._catalogue_penalty = CATALOGUE_PENALTY * self._catalogue  # when none is said better
        markers = lex.variants + lex.qualifiers
        self._markers = markers
        # Every word of a marker or of a marker's cue: a query with any other word says more
        # than how (``_says_only_how``), most queries at their first words.
        self._how_words = frozenset(
            word
            for m in markers
            for phrase in (m.marker, *(cue.phrase for cue in m.cues))
            for word in phrase
        )
        plain = [_offers_plain_operation(p.name) for p in self._procedures]
        marked, self._group = _markers_and_groups(name_tokens, plain, lex)
        # Every marker's procedures in one array, marker after marker, each with its marker's
        # number and penalty: a set of waived markers' penalties is then one ordered sum.
        counts = [len(ids) for ids in marked]
        self._marked = np.concatenate([*marked, np.zeros(0, dtype=np.int32)]).astype(np.intp)
        self._marked_by = np.repeat(np.arange(len(markers)), counts)
        self._marked_penalty = np.repeat(
            np.array([m.penalty for m in markers], dtype=np.float32), counts
        )
        self._marker_count = len(markers)
        # Per procedure whose name lists several operations ("Cấp lại, đổi, điều chỉnh thông
        # tin trên sổ BHXH, thẻ BHYT"), the qualifiers it lists: asked for one, it offers it,
        # and the others it lists beside it make no special case of it.
        # (A name listing the plain operation first is marked by none of them: ``plain``.)
        self._listed = {
            i: listed
            for i, p in enumerate(self._procedures)
            if not plain[i]
            and len(listed := _listed_operations(p.name, lex.qualifiers, len(lex.variants))) > 1
        }
        self._marked_listed = np.array(
            [
                int(j) in self._listed.get(int(i), ())
                for i, j in zip(self._marked, self._marked_by, strict=True)
            ],
            dtype=bool,
        )
        # Which markers a phrase said or a cue heard waives, to find them without a pass over
        # every marker; the penalties of each set of waived markers, built once (few sets occur).
        self._waived_by_phrase: dict[Phrase, list[int]] = defaultdict(list)
        self._waived_by_cue: dict[Topic, list[int]] = defaultdict(list)
        for j, m in enumerate(markers):
            self._waived_by_phrase[m.marker].append(j)
            for cue in m.cues:
                self._waived_by_cue[cue].append(j)
        self._penalties: LRUCache[frozenset[int], np.ndarray] = LRUCache(PENALTIES_KEPT)
        self._phrase_lengths = {
            len(p)
            for p in (
                *(m.marker for m in markers),
                *(t.phrase for s in lex.situations for cue in s.cues for t in cue),
            )
        }
        # Each situation with its cues' phrases, to skip the situations a query cannot describe,
        # and the situations each phrase of a first cue may begin, to look at those only.
        self._situations = [
            (s, [frozenset(t.phrase for t in cue) for cue in s.cues]) for s in lex.situations
        ]
        self._situations_cued: dict[Phrase, list[int]] = defaultdict(list)
        for j, (_, cues) in enumerate(self._situations):
            for phrase in cues[0]:  # every situation has a cue (the lexicon checks)
                self._situations_cued[phrase].append(j)
        self._small_talk = frozenset(lex.small_talk)
        self._topics: dict[str, list[Topic]] = defaultdict(list)
        for topic in {*lex.small_talk, *_cues(markers)}:
            self._topics[topic.phrase[0]].append(topic)
        self._next = _followers(df, lex)
        self._filler = lex.filler
        self._filler_spellings = _filler_spellings(self._procedures, lex.filler)
        self._phrase_pairs = {
            pair
            for phrase in (*lex.abbreviations.keys(), *lex.phrases.keys())
            for pair in itertools.pairwise(phrase)
        }
        self._phrase_words = _words(lex.abbreviations.keys(), lex.phrases.keys())
        vi_words = set(self._syllables) | self._phrase_words
        self._vi_words = vi_words
        self._en_words = _words(lex.english.keys()) - vi_words
        # English phrases with no word a Vietnamese query could contain ("passport") apply to
        # every query; the rest only to queries that read as English ("the" is also "thẻ").
        self._vi_phrases = lex.phrases.merged(
            lex.english.where(lambda phrase: not set(phrase) & vi_words)
        )
        self._en_phrases = lex.phrases.merged(lex.english)
        self._results: LRUCache[tuple[str, str, int, str | None], SearchResult] = LRUCache(
            RESULTS_KEPT
        )
        # A letter's story is heard once for its asking part, lead-in and whole text.
        self._stories: LRUCache[tuple[str, str], Heard] = LRUCache(STORIES_KEPT)

    def __len__(self) -> int:
        return len(self._procedures)

    def _everyday_terms(self, field: str, lex: Lexicon) -> set[str]:
        """The known phrases of the everyday words of a procedure's fields (``fields.tsv``):
        their syllables alone are other words too ("thương" of "thương binh" in "thường trú")."""
        categories = (tuple(tokenize(category)) for category in field.split(";"))
        words = (w for category in categories for w in lex.fields.get(category, ()))
        return {t for w in words for t in _terms(w) if " " in t and t in self._terms}

    def _ids(self, terms: Iterable[str]) -> np.ndarray:
        return np.array(sorted(self._terms[t] for t in terms), dtype=np.int32)

    @property
    def procedures(self) -> tuple[Procedure, ...]:
        """The indexed procedures, in index order."""
        return self._procedures

    def search(
        self, query: str, locale: str = "vi", limit: int = 5, story: str | None = None
    ) -> SearchResult:
        """The best procedure for ``query`` (None when nothing fits) and up to limit-1 others.

        ``story`` is the letter the query was asked in: a situation's cue that may be told
        anywhere (``~`` in ``situations.tsv``) is heard there too.
        """
        key = (query, locale, limit, story)
        result = self._results.get(key)
        if result is None:
            result = self._results[key] = self._rank(query, locale, limit, story)
        return result

    def _rank(self, query: str, locale: str, limit: int, story: str | None) -> SearchResult:
        analysis = self._analyse(query, locale, story)
        scores = None if self._says_only_how(analysis.tokens) else self._score(analysis)
        if scores is None:
            return SearchResult(query=query, match=None)
        candidates = np.flatnonzero(scores.coverage > 0)
        found = self._best(analysis, scores, candidates)
        sure = self._fits(analysis, scores, found) and not self._contested(
            scores, candidates, found
        )
        best = self._said_whole(analysis, scores, candidates, found)
        if not sure:
            if not self._close(analysis, scores, found):
                return SearchResult(query=query, match=None)
            k = min(len(candidates), max(limit, 1))
            top = candidates[np.argpartition(-scores.total[candidates], k - 1)[:k]]
            unsure = sorted((int(i) for i in top), key=lambda i: (-scores.total[i], i))
            return SearchResult(
                query=query,
                match=None,
                candidates=tuple(self._hit(i, scores, variant=False) for i in unsure),
            )
        k = min(len(candidates), max(limit, 1) * 4)
        top = candidates[np.argpartition(-scores.total[candidates], k - 1)[:k]]
        group = self._group[best]
        ranked = sorted(
            (int(i) for i in top if i != best),
            key=lambda i: (self._group[i] != group, -scores.total[i], i),
        )[: max(limit - 1, 0)]
        return SearchResult(
            query=query,
            match=self._hit(best, scores, variant=False),
            alternatives=tuple(
                self._hit(i, scores, variant=self._group[i] == group) for i in ranked
            ),
        )

    def _says_only_how(self, tokens: Sequence[str]) -> bool:
        """Whether a query says only an operation or a special case ("cấp lại", "gia hạn",
        "bị mất rồi", "lost it", "lưu động") and nothing it applies to: it names no procedure.
        Ranked, such a query got whichever reissue the priors favour, a driving licence's.

        The query is made of markers (``variants.tsv``, ``qualifiers.tsv``) and the cues of
        those it says ("bị", "mất" beside "cấp lại"), and nothing else.
        """
        if not self._how_words.issuperset(tokens):
            return False
        grams = _grams(tokens, self._phrase_lengths)  # every marker's length among them
        said = [m for m in self._markers if m.marker in grams]
        if not said:
            return False
        left = list(tokens)
        for marker in said:
            while (shorter := _replace(left, marker.marker, ())) != left:
                left = shorter
        cue_words = {word for m in said for cue in m.cues for word in cue.phrase}
        return all(token in cue_words for token in left)

    def _fits(self, analysis: _Analysis, scores: _Scores, best: int) -> bool:
        """Whether the best procedure answers the query at all."""
        coverage = float(scores.coverage[best])
        precision = float(scores.precision[best])
        whole_name = precision >= WHOLE_NAME and coverage >= WHOLE_NAME_COVERAGE
        # A told story says much more than the need: saying half the name is enough there.
        story = (
            len(analysis.tokens) >= STORY_TOKENS
            and precision >= STORY_PRECISION
            and coverage >= STORY_COVERAGE
        )
        if (coverage < MIN_COVERAGE and not (whole_name or story)) or scores.phrase[best] <= 0:
            return False
        return not analysis.small_talk or (
            coverage >= SMALL_TALK_COVERAGE and scores.precision[best] >= SMALL_TALK_PRECISION
        )

    def _contested(self, scores: _Scores, candidates: np.ndarray, best: int) -> bool:
        """Whether procedures unlike the best score level with it, its name said only in part.

        A query that says only words many unrelated names share ("trả lại tiền" is in "Trả
        lại giấy phép nhận chìm", "Trả lại khu vực biển"...) gives no ground to pick one of
        them: the best is then a guess, not the answer. Rivals that are the same procedure for
        another case ("Cấp thẻ căn cước cho người dưới 14 tuổi" beside "... từ đủ 14 tuổi trở
        lên") share most of its name and do not count: the card offers them as alternatives.
        A best whose name the query says even less of (``SAYS_LITTLE``) and that covers
        only part of the query (``NARROW_COVERAGE``) has no ground against a single stranger
        level with it ("chủ nhà không trả lại tiền cọc" is no more about a
        fund's deposit than about any other name with "trả lại tiền").
        """
        precision = float(scores.precision[best])
        if precision >= CONTESTED_PRECISION:
            return False
        narrow = precision < SAYS_LITTLE and scores.coverage[best] < NARROW_COVERAGE
        level = candidates[scores.total[candidates] >= CONTESTED_SCORE * scores.total[best]]
        own = self._name_syllables[best]
        strangers = 0
        for i in level:
            if i == best or self._group[i] == self._group[best]:
                continue
            theirs = self._name_syllables[i]
            shared = len(np.intersect1d(own, theirs, assume_unique=True))
            strangers += shared < SIBLING_SHARE * (len(own) + len(theirs) - shared)
            if strangers >= (1 if narrow else CONTESTED_RIVALS):
                return True
        return False

    def _said_whole(
        self, analysis: _Analysis, scores: _Scores, candidates: np.ndarray, best: int
    ) -> int:
        """The best, or a name nearly level with it that the query says whole where it says
        only part of the best's.

        A letter telling its story with a procedure's everyday words ("làm thủ tục đăng ký tạm
        trú", "hồ sơ", "giấy xác nhận") lifts a longer name built of those words
        ("Khai báo thông tin về cư trú đối với người chưa đủ điều kiện đăng ký thường trú, tạm
        trú...") just above the plain one the letter names whole ("Đăng ký tạm trú"). A best the
        query says less than ``SAID_PART`` of loses to a name within ``SAID_LEVEL`` of its score
        that the query says at least ``SAID_WHOLE`` of, unless that name is a special operation
        (a reissue, a change...) the query only hints at by a cue ("mất" in "có mất phí
        không"): its marker must be said. The winner's score is lifted just above the best's,
        so the guesses are shown in the same order.
        """
        if float(scores.precision[best]) >= SAID_PART:
            return best
        near = candidates[
            (scores.total[candidates] >= SAID_LEVEL * scores.total[best])
            & (scores.precision[candidates] >= SAID_WHOLE)
            & (self._penalty(analysis, cued=False)[candidates] <= 0)
        ]
        if not len(near):
            return best
        rival = int(near[np.argmax(scores.total[near])])
        scores.total[rival] = scores.total[best] + LIFT
        return rival

    def _close(self, analysis: _Analysis, scores: _Scores, best: int) -> bool:
        """Whether the best procedure, though it does not fit, is worth offering as a guess."""
        return (
            not analysis.small_talk
            and scores.phrase[best] > 0
            and float(scores.coverage[best]) >= UNSURE_COVERAGE
        )

    def _best(self, analysis: _Analysis, scores: _Scores, candidates: np.ndarray) -> int:
        """The best candidate once the leaders' matches of other words are taken back.

        Matching ignores diacritics, so a query typed with them can match another word ("mai
        có bão không" asks about a storm, not "bảo"; "đám tang" is not "hạ tầng"). The leader
        loses those matches and the next one is looked at, until a leader keeps its place;
        scores only go down, so a few rounds settle it.
        """
        checked: set[int] = set()
        while True:
            best = int(candidates[np.argmax(scores.total[candidates])])
            if not analysis.marked or best in checked or len(checked) >= RESPELL_ROUNDS:
                return best
            checked.add(best)
            lost, lost_pairs = self._misspelled_weight(analysis, scores, best)
            if lost:
                share = lost / scores.weight
                scores.total[best] -= share
                scores.coverage[best] -= share
                scores.phrase[best] -= lost_pairs

    def _misspelled_weight(
        self, analysis: _Analysis, scores: _Scores, i: int
    ) -> tuple[float, float]:
        """The weight (all, and of pairs) procedure i matched only by ignoring diacritics."""
        typed = {key for key, _ in analysis.marked}
        written: dict[str, list[str]] = defaultdict(list)
        for key, word in spelled_keys(self._procedures[i].name):
            if key in typed:
                written[key].append(word)
        # A key the query also typed with the name's marks is the name's word ("cho tôi hỏi ...
        # trợ cấp xã hội": the "hỏi" is not the name's "hội", the "hội" is).
        fits = {
            key
            for key, word in analysis.marked
            if any(fits_marks(word, w) for w in written.get(key, ()))
        }
        other = {key for key, word in analysis.marked if written.get(key) and key not in fits}
        lost = lost_pairs = 0.0
        named = self._name_postings.terms_of(i) if other else set()
        for tid in scores.terms if other else ():
            term = self._vocabulary[tid]
            if other.intersection(term.split(" ")) and tid in named:
                lost += float(self._idf[tid])
                lost_pairs += float(self._idf[tid]) if " " in term else 0.0
        return lost, lost_pairs

    def _analyse(self, query: str, locale: str, story: str | None = None) -> _Analysis:
        text = query[:MAX_QUERY_CHARS]
        spelled, tokens, typed, weights = self._read(text, locale)
        raw = [key for key, _ in spelled]
        words = [word for _, word in spelled]
        with_marks = {key for key, word in spelled if marks(word)}
        told = self._heard(raw, words, tokens, typed)
        # Every phrase of the phrases' lengths as typed (the heard text's) and as rewritten.
        said = frozenset(told.typed_at) | _grams(tokens, self._phrase_lengths)
        # A phrase of small talk or a cue is said within one clause: "xe máy, giờ làm lại"
        # says no "mấy giờ".
        breaks = clause_starts(text)
        heard = frozenset(
            topic
            for i, key in enumerate(raw)
            for topic in self._topics.get(key, ())
            if topic.said_in(raw, words, i)
            and breaks.isdisjoint(range(i + 1, i + len(topic.phrase)))
            and not self._runs_on(topic, raw, words, i)
        )
        # Only words still there as typed can disagree with a name's diacritics.
        as_typed = {t for t, kept in zip(tokens, typed, strict=True) if kept}
        as_typed -= {t for t, kept in zip(tokens, typed, strict=True) if not kept}
        return _Analysis(
            tokens=tuple(tokens),
            weights=tuple(weights),
            said=said,
            heard=heard,
            implied=self._implied(told, None if story is None else self._story(story, locale)),
            small_talk=not heard.isdisjoint(self._small_talk),
            marked=tuple((k, w) for k, w in spelled if k in as_typed and k in with_marks),
        )

    def _read(
        self, text: str, locale: str
    ) -> tuple[Sequence[tuple[str, str]], list[str], list[bool], list[float]]:
        """A text's spelled words and its rewritten search keys with, for each, whether it is
        still as typed and its share of weight."""
        spelled = spelled_keys(text)
        raw = [key for key, _ in spelled]
        words = [word for _, word in spelled]
        raw_keys = set(raw)
        with_marks = {key for key, word in spelled if marks(word)}
        english = locale.lower().startswith("en") or self._reads_english(text, raw)
        corrected: list[str] = []
        for t in raw if english else self._content(raw, words):
            # An English query's unknown words are English, and a word typed with its
            # diacritics is a word, not a slip: a word no name uses means another subject.
            keep = english or t in self._vi_words or t in with_marks
            corrected += [t] if keep else self._repair(t, corrected[-1:])
        corrected = self._fix_in_context(corrected)
        # A colloquial phrase read by the words around it ("nhập khẩu" for a child or for goods).
        sensed, kept = read_senses(self._lexicon.senses, corrected)
        tokens, typed = self._lexicon.abbreviations.rewrite_tracked(
            sensed, [k and t in raw_keys for t, k in zip(sensed, kept, strict=True)]
        )
        phrases = self._en_phrases if english else self._vi_phrases
        tokens, typed, weights = phrases.rewrite_weighted(tokens, typed, [1.0] * len(tokens))
        return spelled, tokens, typed, weights

    def _story(self, story: str, locale: str) -> Heard:
        """The letter around a question, heard for the cues that may be told there."""
        heard = self._stories.get((story, locale))
        if heard is None:
            spelled, tokens, typed, _ = self._read(story[:STORY_CHARS], locale)
            heard = self._heard([k for k, _ in spelled], [w for _, w in spelled], tokens, typed)
            self._stories[(story, locale)] = heard
        return heard

    def _runs_on(self, topic: Topic, keys: Sequence[str], words: Sequence[str], start: int) -> bool:
        """Whether small talk typed without all its marks is part of a common phrase of names.

        "mua bao hiem y te" could read "mưa bão" (storm), but "bao hiem" is in many names: the
        words are "mua bảo hiểm"; "xe máy, giờ" is no "mấy giờ" (what time). A word typed
        with all the topic's marks is the topic ("mưa bão"), and "nhiet do sai gon" stays the
        weather: few names say "do sai".
        """
        if topic not in self._small_talk:
            return False
        end = start + len(topic.phrase)
        before = start > 0 and words[start] != topic.words[0]
        after = end < len(keys) and words[end - 1] != topic.words[-1]
        return (before and f"{keys[start - 1]} {keys[start]}" in self._common_pairs) or (
            after and f"{keys[end - 1]} {keys[end]}" in self._common_pairs
        )

    def _content(self, keys: Sequence[str], words: Sequence[str]) -> list[str]:
        """The keys without the filler of a told situation ("mà", "thì", "lâu", "chưa").

        A sentence says much more than the need ("bà nội mất lâu rồi mà chưa báo tử"), and
        every filler word would lower each name's share of the query. A filler key stays when
        it is typed with other marks ("đăng" is not "đang") or forms a phrase names or the
        vocabulary use with a word beside it ("thi hành", "một lần", "bảo hiểm").
        """

        def in_phrase(i: int, pair: tuple[str, str]) -> bool:
            if pair in self._phrase_pairs:
                return True
            # Two filler words make no phrase worth keeping ("chưa có", "hai tháng"), and a
            # word typed with marks is the name's word only if the marks fit ("mà" is not "mã").
            spellings = self._filler_spellings.get(" ".join(pair), ())
            return not all(k in self._filler for k in pair) and any(
                fits_marks(words[i], w) for w in spellings
            )

        n = len(keys)
        return [
            key
            for i, (key, word) in enumerate(zip(keys, words, strict=True))
            if not (
                any(fits_marks(word, form) for form in self._filler.get(key, ()))
                and (i == 0 or not in_phrase(i, (keys[i - 1], key)))
                and (i == n - 1 or not in_phrase(i, (key, keys[i + 1])))
            )
        ]

    def _heard(
        self, raw: Sequence[str], words: Sequence[str], tokens: Sequence[str], typed: Sequence[bool]
    ) -> Heard:
        """What a text says for the situations' cues, as typed or once rewritten."""
        lengths = self._phrase_lengths
        typed_at: dict[Phrase, list[int]] = defaultdict(list)
        for n in lengths:
            for i in range(len(raw) - n + 1):
                typed_at[tuple(raw[i : i + n])].append(i)
        rewritten = frozenset(
            tuple(tokens[i : i + n])
            for n in lengths
            for i in range(len(tokens) - n + 1)
            if not all(typed[i : i + n])
        ) | bands_said(self._lexicon.ages, raw)  # "10 tuổi" says "dưới 14 tuổi"
        return Heard(rewritten, typed_at, raw, words)

    def _implied(self, query: Heard, story: Heard | None) -> tuple[Phrase, ...]:
        """The terms of the situations the query describes, some cues told in its story."""
        present = query.rewritten | query.typed_at.keys()
        around = frozenset() if story is None else story.rewritten | story.typed_at.keys()
        cued = sorted({j for p in present | around for j in self._situations_cued.get(p, ())})
        return tuple(
            s.terms
            for s, cues in map(self._situations.__getitem__, cued)
            if all(
                not cue.isdisjoint(present) or (far and not cue.isdisjoint(around))
                for cue, far in zip(cues, s.anywhere, strict=True)
            )
            and s.applies(query, story)
        )

    def _reads_english(self, text: str, raw: Sequence[str]) -> bool:
        """Whether an unmarked query is mostly English words no Vietnamese query would use."""
        if fold(text) != text.lower() or not raw:
            return False
        english = sum(
            t in self._en_words or (looks_foreign(t) and telex_key(t) not in self._df) for t in raw
        )
        return english >= max(1, len(raw) / 3)

    def _repair(self, token: str, before: Sequence[str]) -> list[str]:
        """Known syllables for an unknown token: Telex residue, two glued syllables, or a typo."""
        telex = telex_key(token)
        if telex in self._df:
            return [telex]
        for cut in range(2, len(token) - 1):
            head, tail = syllable_key(token[:cut]), syllable_key(token[cut:])
            if f"{head} {tail}" in self._terms:
                return [head, tail]
        return [self._correct(token, before)]

    def _correct(self, token: str, before: Sequence[str]) -> str:
        """The known syllable a mistyped one most likely meant, or the token itself.

        Among the closest syllables, one that forms a known phrase with the word before wins
        ("khai xinh" → "khai sinh", not the more frequent "kinh"), then the most frequent.
        """
        # Short syllables are one letter away from too many others to guess.
        if len(token) < 4 or token.isdigit() or looks_foreign(token):
            return token
        cutoff = 1 if len(token) < 7 else 2
        found = process.extract(
            token, self._syllables, scorer=OSA.distance, score_cutoff=cutoff, limit=8
        )
        if not found:
            return token
        followers = self._next.get(before[0], {}) if before else {}
        nearest = min(d for _, d, _ in found)
        return max(
            (c for c, d, _ in found if d == nearest),
            key=lambda c: (c in followers, self._df[c]),
        )

    def _fix_in_context(self, tokens: list[str]) -> list[str]:
        """Fix typos that made another real syllable ("khai xinh" → "khai sinh").

        A rare syllable that forms no known phrase with the one before it is replaced by the
        closest syllable (one edit away) that forms a common one, the most frequent winning.
        """
        out = list(tokens)
        for j in range(1, len(out)):
            before, word = out[j - 1], out[j]
            followers = self._next.get(before)
            if (
                not followers
                or word in followers
                or word in self._phrase_words
                or self._df.get(word, 0) > RARE_SYLLABLE
                or len(word) < 3
                or looks_foreign(word)
            ):
                continue
            close = [
                f
                for f, count in followers.items()
                if count > RARE_SYLLABLE and OSA.distance(word, f, score_cutoff=1) <= 1
            ]
            if close:
                out[j] = max(close, key=lambda f: followers[f])
        return out

    def _score(self, analysis: _Analysis) -> _Scores | None:
        # The query's words, then each situation's terms: pairs never span two of them.
        segments = [
            tuple(zip(analysis.tokens, analysis.weights, strict=True)),
            *(tuple((t, 1.0) for t in seg) for seg in analysis.implied),
        ]
        unigrams: dict[str, float] = {}
        pairs: dict[str, float] = {}
        for seg in segments:
            for t, w in seg:
                unigrams[t] = max(w, unigrams.get(t, 0.0))
            for (a, wa), (b, wb) in itertools.pairwise(seg):
                pairs[f"{a} {b}"] = max(min(wa, wb), pairs.get(f"{a} {b}", 0.0))
        uni = {self._terms[t]: w for t, w in unigrams.items() if t in self._terms}
        both = {**uni, **{self._terms[t]: w for t, w in pairs.items() if t in self._terms}}
        if not uni:
            return None
        n = len(self._procedures)
        unknown = sum(w for t, w in unigrams.items() if t not in self._terms)
        uni_ids, all_ids = list(uni), list(both)
        pair_ids = all_ids[len(uni_ids) :]
        idf = self._idf[all_ids]
        total = float((idf * list(both.values())).sum()) + UNKNOWN_IDF * unknown
        # Each term's weight in the query (a long expansion's words weigh less); in the names,
        # the syllables' sums and the pairs' are gathered apart, each from its own postings.
        weighted = idf * np.array(list(both.values()), dtype=np.float32)
        k = len(uni_ids)
        name_uni, said = self._sum(self._name_postings, uni_ids, weighted[:k], idf[:k])
        phrase = (
            self._sum(self._name_postings, pair_ids, weighted[k:])[0] if pair_ids else np.zeros(n)
        )
        (context,) = self._sum(self._context_postings, all_ids, weighted)
        coverage = (name_uni + phrase + CONTEXT_WEIGHT * context) / total
        precision = said / self._name_weight
        # The field names the domain ("Hoạt động xây dựng"): a query naming it belongs there.
        field = self._sum(self._field_postings, all_ids, weighted)[0] / total
        named = self._named_field(pair_ids, uni) / total
        lead = np.zeros(n, dtype=np.float32)
        for i in self._lead.keys() & pair_ids:  # most of a query's pairs lead no name
            lead[self._lead[i]] = LEAD_WEIGHT
        penalty = self._penalty(analysis).copy()
        # Precision and a leading phrase only separate procedures that fit the query already.
        fit = coverage * (
            1 + PRECISION_WEIGHT * precision + lead + FIELD_WEIGHT * field + NAMED_FIELD * named
        )
        # A query naming the field of a catalogue entry in everyday words ("thương binh" for
        # "Người có công") asks for it, not for a detailed procedure of another field that
        # shares those words (the army's or the police's own case); an entry whose name it says
        # better than any detailed one's keeps that lead over the field's other entries.
        said_better = self._said_better(coverage, precision)
        if not said_better.any():
            said_better = self._catalogue & (named > 0)
        penalty += (
            CATALOGUE_PENALTY * (self._catalogue & ~said_better)
            if said_better.any()
            else self._catalogue_penalty
        )
        total_score = fit + self._prior - penalty
        return _Scores(
            total=total_score,
            coverage=coverage,
            phrase=phrase,
            precision=precision,
            terms=tuple(uni_ids + pair_ids),
            weight=total,
        )

    def _penalty(self, analysis: _Analysis, *, cued: bool = True) -> np.ndarray:
        """Per procedure: the penalties of the markers in its name the query did not ask for
        (by saying the marker or, unless not ``cued``, one of its cues), but for the operations
        a name lists beside one asked (``_listed_operations``); shared, not to be changed in
        place."""
        heard = analysis.heard if cued else frozenset()
        waived = frozenset(
            itertools.chain(
                *(self._waived_by_phrase[p] for p in self._waived_by_phrase.keys() & analysis.said),
                *(self._waived_by_cue[t] for t in self._waived_by_cue.keys() & heard),
            )
        )
        penalty = self._penalties.get(waived)
        if penalty is None:
            # Added in the markers' order, one marker's penalty after another's where a name
            # has several (``add.at`` keeps the order), as marker by marker would.
            asked = np.zeros(self._marker_count, dtype=bool)
            asked[list(waived)] = True
            offered = np.zeros(len(self._procedures), dtype=bool)
            offered[[i for i, ops in self._listed.items() if not waived.isdisjoint(ops)]] = True
            kept = ~asked[self._marked_by] & ~(self._marked_listed & offered[self._marked])
            penalty = np.zeros(len(self._procedures), dtype=np.float32)
            np.add.at(penalty, self._marked[kept], self._marked_penalty[kept])
            self._penalties[waived] = penalty
        return penalty

    def _named_field(self, pair_ids: Sequence[int], syllables: dict[int, float]) -> np.ndarray:
        """Per procedure, the weight of the query's phrases that name its field in everyday
        words (``fields.tsv``), each with its syllables' (``syllables``: the query's weight of
        each syllable): "thương binh" names "Người có công" whole, its "thương" alone nothing."""
        if not pair_ids:
            return np.zeros(len(self._procedures), dtype=np.float32)
        weights = [
            float(self._idf[i])
            + sum(
                float(self._idf[j]) * syllables.get(j, 0.0)
                for j in map(self._terms.get, self._vocabulary[i].split(" "))
                if j is not None
            )
            for i in pair_ids
        ]
        return self._sum(self._field_named, pair_ids, np.array(weights, dtype=np.float32))[0]

    def _said_better(self, coverage: np.ndarray, precision: np.ndarray) -> np.ndarray:
        """The catalogue entries whose name the query says clearly better than any detailed one.

        Such an entry is what the citizen asked for, not a detailed look-alike that merely
        contains the words, so it loses its catalogue penalty: most of its name is said
        (``SAID_NAME``), and by ``SAID_BETTER`` more of its weight than the name of any detailed
        procedure covering nearly as much of the query (``RIVAL_COVERAGE``).
        """
        said = self._catalogue & (precision >= SAID_NAME)
        if not said.any():
            return said
        rivals = ~self._catalogue & (coverage >= RIVAL_COVERAGE * coverage[said].max())
        rival = float(precision[rivals].max()) if rivals.any() else 0.0
        return said & (precision >= rival + SAID_BETTER)

    def _sum(
        self, postings: _Postings, terms: Sequence[int], *weights: np.ndarray
    ) -> list[np.ndarray]:
        """Per procedure, for each of ``weights`` (one weight per term): the summed weight of
        the given terms it has in these postings.

        The terms' postings are gathered once for all the sums; each procedure's sum adds its
        terms in the order given.
        """
        docs = np.concatenate([postings[i] for i in terms])
        lengths = postings.lengths[terms]
        n = len(self._procedures)
        return [np.bincount(docs, weights=np.repeat(w, lengths), minlength=n) for w in weights]

    def _hit(self, i: int, scores: _Scores, variant: bool) -> SearchHit:
        p = self._procedures[i]
        return SearchHit(
            code=p.code,
            name=p.name,
            score=round(float(scores.total[i]), 4),
            variant=variant,
            said=round(float(scores.precision[i]), 4),
        )

    def matched_terms(self, query: str, code: str, locale: str = "vi") -> tuple[str, ...]:
        """The words of ``query`` the procedure ``code`` has, as runs of adjacent words spelled as
        in its name (none for a code not indexed).

        Asked for when a hit is explained (``motcua ask``), not with every search: a chat's
        reply never shows them, and finding them for every hit of every message cost about a
        tenth of the ranking.
        """
        i = next((i for i, p in enumerate(self._procedures) if p.code == code), None)
        if i is None:
            return ()
        tokens = self._analyse(query, locale).tokens
        words = list(spelled_keys(self._procedures[i].name))
        keys = [k for k, _ in words]
        first = dict(reversed(words))
        has = self._name_postings.terms_of(i) | self._context_postings.terms_of(i)
        runs: list[list[str]] = [[]]
        for t in tokens:
            if self._terms.get(t) in has:
                runs[-1].append(t)
            elif runs[-1]:
                runs.append([])
        return tuple(dict.fromkeys(_spell(run, keys, words, first) for run in runs if run))


def _followers(df: Counter[str], lex: Lexicon) -> dict[str, dict[str, int]]:
    """Syllable → the syllables that follow it in names and phrases, with how often.

    The syllables are the interned ones the vocabulary holds, not a copy per pair.
    """
    followers: dict[str, dict[str, int]] = defaultdict(dict)
    for term, count in df.items():
        if " " in term:
            a, b = _interned(term.split(" "))
            followers[a][b] = count
    for phrase in (*lex.abbreviations.keys(), *lex.phrases.keys()):
        for a, b in itertools.pairwise(phrase):
            followers[a].setdefault(b, 1)
    return dict(followers)


def _filler_spellings(
    procedures: Sequence[Procedure], filler: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """Each pair of name words with a filler key ("mat ma") → how names write that key in it.

    "mật mã" keeps "mật" and "mã" together, but "mất mà chưa" is no such phrase: a filler word
    typed with its marks stays only beside a neighbour that names write it with.
    """
    spellings: dict[str, set[str]] = defaultdict(set)
    for p in procedures:
        for (a, wa), (b, wb) in itertools.pairwise(spelled_words(p.name)):
            if a in filler:
                spellings[f"{a} {b}"].add(sys.intern(wa))
            if b in filler:
                spellings[f"{a} {b}"].add(sys.intern(wb))
    return {sys.intern(pair): tuple(words) for pair, words in spellings.items()}


def _spell(
    run: list[str], keys: list[str], words: list[tuple[str, str]], first: dict[str, str]
) -> str:
    """A run of matched keys as the name writes it (the run's own words where it has them)."""
    n = len(run)
    for j in range(len(keys) - n + 1):
        if keys[j : j + n] == run:
            return " ".join(w for _, w in words[j : j + n])
    return " ".join(first.get(t, t) for t in run)


def _interned(tokens: Iterable[str]) -> list[str]:
    """The tokens as shared strings: a large base repeats the same few thousand syllables."""
    return [sys.intern(t) for t in tokens]


def _terms(tokens: Sequence[str]) -> set[str]:
    """Syllables and adjacent syllable pairs ("khai sinh") of a token sequence."""
    return set(tokens) | {f"{a} {b}" for a, b in itertools.pairwise(tokens)}


class _Postings:
    """For each term id, the ascending indexes of the procedures that have it, in one array;
    and for each procedure, the ids of its terms (to tell a hit's matched words)."""

    def __init__(self, terms: int, per_procedure: Sequence[np.ndarray]) -> None:
        term_ids = np.concatenate([*per_procedure, np.zeros(0, dtype=np.int32)])
        self._terms = term_ids
        self._term_offsets = np.concatenate(([0], np.cumsum([len(ids) for ids in per_procedure])))
        docs = np.repeat(
            np.arange(len(per_procedure), dtype=np.int32), [len(ids) for ids in per_procedure]
        )
        order = np.lexsort((docs, term_ids))  # by term, then by procedure
        self._docs = docs[order]
        self.lengths = np.bincount(term_ids, minlength=terms).astype(np.int32)
        """How many procedures have each term."""
        self._offsets = np.concatenate(([0], np.cumsum(self.lengths)))

    def __getitem__(self, term_id: int) -> np.ndarray:
        return self._docs[self._offsets[term_id] : self._offsets[term_id + 1]]

    def terms_of(self, i: int) -> set[int]:
        """The ids of the terms procedure ``i`` has."""
        return set(self._terms[self._term_offsets[i] : self._term_offsets[i + 1]].tolist())


def _leads(name_tokens: Sequence[Sequence[str]], terms: dict[str, int]) -> dict[int, np.ndarray]:
    """Pair term id → procedures whose name starts with that pair (after "thủ tục")."""
    leads: dict[int, list[int]] = defaultdict(list)
    for i, tokens in enumerate(name_tokens):
        body = _without_prefix(tokens)
        if len(body) >= 2:
            leads[terms[f"{body[0]} {body[1]}"]].append(i)
    return {t: np.array(d, dtype=np.int32) for t, d in leads.items()}


def _without_prefix(tokens: Sequence[str]) -> Sequence[str]:
    return tokens[2:] if tokens[:2] == ["thu", "tuc"] else tokens


def _markers_and_groups(
    name_tokens: Sequence[Sequence[str]], plain: Sequence[bool], lex: Lexicon
) -> tuple[list[np.ndarray], list[int]]:
    """For each marker, the procedures whose names have it; per procedure, its variant group.

    Names equal once variant markers become their base ("đăng ký lại khai sinh" → "đăng ký
    khai sinh") share a group; qualifiers (other operations) do not make variants, and do not
    mark a name that offers the plain operation as well (``plain``).
    """
    markers = lex.variants + lex.qualifiers
    marked: list[list[int]] = [[] for _ in markers]
    spaced = [f" {' '.join(m.marker)} " for m in markers]
    groups: dict[Phrase, int] = {}
    group_of: list[int] = []
    for i, tokens in enumerate(name_tokens):
        key = list(_without_prefix(tokens))
        text = f" {' '.join(tokens)} "
        for j, m in enumerate(markers):
            if spaced[j] in text and not (plain[i] and j >= len(lex.variants)):
                marked[j].append(i)
                if j < len(lex.variants):
                    key = _replace(key, m.marker, m.base)
        group_of.append(groups.setdefault(tuple(key), len(groups)))
    return [np.array(ids, dtype=np.int32) for ids in marked], group_of


def _listed_operations(
    name: str, qualifiers: Sequence[VariantMarker], first: int
) -> frozenset[int]:
    """The qualifiers (numbered from ``first``) a name lists as its operations: those said in
    its leading comma-separated list of short operations ("Cấp lại, đổi, điều chỉnh ...")."""
    head: list[str] = []
    for part in name.split(","):
        words = tokenize(part)
        head += words[:OPERATION_WORDS]
        if len(words) > OPERATION_WORDS:
            break
    text = f" {' '.join(head)} "
    return frozenset(
        first + j for j, q in enumerate(qualifiers) if f" {' '.join(q.marker)} " in text
    )


def _offers_plain_operation(name: str) -> bool:
    """Whether a name lists operations starting with the plain one.

    "Đăng ký, đăng ký lại, điều chỉnh đóng BHXH tự nguyện" offers the other operations beside
    the plain registration, so they do not make it a special case; so does "Thực hiện, điều
    chỉnh, thôi hưởng trợ cấp xã hội hàng tháng" beside granting the allowance.
    """
    head, comma, _ = name.partition(",")
    return bool(comma) and fold(head).strip() in _PLAIN_OPERATIONS


_PLAIN_OPERATIONS = frozenset({"dang ky", "cap", "thuc hien", "thu tuc dang ky", "thu tuc cap"})


def _cues(markers: Iterable[VariantMarker]) -> Iterable[Topic]:
    return (c for m in markers for c in m.cues)


def _level_penalty(p: Procedure) -> float:
    """Citizens file at the commune; province- and ministry-only procedures come after."""
    folded = fold(" ".join(p.levels))
    if "xa" in folded or not p.levels:
        return 0.0
    return LEVEL_PENALTY if "tinh" in folded else 2 * LEVEL_PENALTY


_LOCAL_ISSUERS = ("ubnd ", "uy ban nhan dan ", "so ", "trung tam phuc vu hanh chinh cong ")


def _source_penalty(p: Procedure) -> float:
    """A province's own procedures and those done abroad come later."""
    issuer = fold(p.ministry)
    if issuer.startswith(_LOCAL_ISSUERS):
        return LOCAL_PENALTY
    return ABROAD_PENALTY if issuer == "bo ngoai giao" else 0.0


def _grams(tokens: Sequence[str], lengths: Iterable[int]) -> frozenset[Phrase]:
    """Every run of adjacent tokens of the given lengths, to test phrases in constant time."""
    return frozenset(tuple(tokens[i : i + n]) for n in lengths for i in range(len(tokens) - n + 1))


def _replace(tokens: list[str], phrase: Phrase, base: Phrase) -> list[str]:
    n = len(phrase)
    for i in range(len(tokens) - n + 1):
        if tuple(tokens[i : i + n]) == phrase:
            return tokens[:i] + list(base) + tokens[i + n :]
    return tokens


def _words(*phrase_sets: Iterable[Phrase]) -> set[str]:
    return {w for phrases in phrase_sets for phrase in phrases for w in phrase}
