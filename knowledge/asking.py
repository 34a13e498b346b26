"""The part of a long message that asks: what a citizen's letter wants, without its story.

Citizens write to the one-stop shop as to a newspaper's Q&A column: a greeting, who they are,
what happened, and only then the question ("Chào anh chị, em năm nay 22 tuổi, quê ở Thanh
Hóa... Em muốn hỏi em cần làm thủ tục gì để đăng ký tạm trú?"). Searched whole, the story's
words dilute every procedure name below "not sure" and may say words of the law that the
question does not ask about ("đất không tranh chấp"). The asking part is every sentence that
ends with "?" and, in the other sentences, every comma-separated clause that says a phrase of
``knowledge/data/faq/asking.txt`` ("thủ tục", "cần giấy tờ gì", "muốn"). A question sentence is
kept whole: its first clause often holds the subject ("Em quên mật khẩu VNeID, giờ lấy lại thế
nào?"). A short message (under ``LETTER_WORDS`` words) is one question whose clauses all
count ("giấy xác nhận độc thân, hóa ra cần cho thủ tục mua nhà"); one that is all asking, or
that asks nowhere, has no separate asking part either.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from knowledge.cues import Cues, read_cues
from knowledge.search.tokens import question_keys, tokenize

# A sentence ends at ".", "!", "?", ";", "…" or a line break, the mark kept with it.
_SENTENCE = re.compile(r"[^.!?;…\n]+[.!?;…]*")
_CLAUSE = re.compile(r"[^,]+")
LETTER_WORDS = 25  # a shorter message is one question, read whole as the search reads it


class Asking:
    """Finds the clauses of a message that ask, from the phrases in the curated data files."""

    def __init__(self, cues: Cues[None], refers: Cues[None]) -> None:
        self._cues = cues
        self._refers = refers

    @classmethod
    def load(cls, folder: str | Path | None = None) -> Asking:
        """The curated phrases (``asking.txt``, ``refers.txt`` in ``knowledge/data/faq`` by
        default)."""
        source = Path(folder) if folder else Path(str(resources.files("knowledge.data.faq")))
        return cls(read_cues(source / "asking.txt"), read_cues(source / "refers.txt"))

    def part(self, message: str) -> str | None:
        """The asking clauses of ``message`` joined, or None when they are the whole of it."""
        if len(question_keys(message)) < LETTER_WORDS:
            return None
        kept: list[str] = []
        told = False  # whether some clause was left out as story
        for sentence in _SENTENCE.findall(message):
            if sentence.rstrip().endswith("?"):
                kept.append(sentence.strip())
                continue
            for clause in _CLAUSE.findall(sentence):
                if not tokenize(clause):
                    continue
                if self._cues.any_in(clause):
                    kept.append(clause.strip())
                else:
                    told = True
        return " ".join(kept) if kept and told else None

    def lead_in(self, message: str) -> str | None:
        """The asking part with the sentence before it, when the part opens by pointing back.

        "... Khi nhập lại hộ khẩu thì công an yêu cầu giấy lý lịch tư pháp. Vậy em cần mang
        giấy tờ gì khi đi làm thủ tục?": the part alone names nothing but the papers and fees
        every procedure has; its "Vậy" (``refers.txt``) says the subject is in the sentence
        before. None when the part names its own subject or the letter has no separate part.
        """
        asked = self.part(message)
        if asked is None:
            return None
        words = tuple(tokenize(asked))
        if not any(cue.said_at(words, 0) for _, cue, _ in self._refers.said(words[:4])):
            return None
        sentences = [s.strip() for s in _SENTENCE.findall(message) if tokenize(s)]
        first = next((i for i, s in enumerate(sentences) if self._asks(s)), 0)
        return f"{sentences[first - 1]} {asked}" if first else None

    def _asks(self, sentence: str) -> bool:
        """Whether a sentence is a question or has a clause that asks."""
        return sentence.endswith("?") or any(
            self._cues.any_in(clause) for clause in _CLAUSE.findall(sentence)
        )

    def clauses(self, message: str) -> list[str]:
        """The asking part's clauses one by one, questions split at their commas too.

        A letter often asks several things at once ("xin cấp sổ đỏ thì làm hồ sơ gì, lệ phí
        gồm những khoản nào, cấp thẩm quyền nào giải quyết?"): the fees and authority asked
        about are words of every procedure, and read together they drown the subject, which one
        clause alone may name.
        """
        found: list[str] = []
        for sentence in _SENTENCE.findall(message):
            question = sentence.rstrip().endswith("?")
            found.extend(
                clause.strip()
                for clause in _CLAUSE.findall(sentence)
                if tokenize(clause) and (question or self._cues.any_in(clause))
            )
        return found
