"""Cues of the curated data are whole words, with or without diacritics, and "…" a short gap."""

from __future__ import annotations

import pytest

from knowledge.cues import MAX_GAP, Cue
from knowledge.search.tokens import tokenize


def _says(phrase: str, text: str) -> bool:
    cue = Cue.of(phrase)
    assert cue is not None
    return cue.said_in(tuple(tokenize(text)))


@pytest.mark.parametrize(
    ("phrase", "text", "said"),
    [
        ("thủ tục", "cho hỏi thu tuc the nao", True),
        ("otp", "không nhận được mã otpx", False),  # whole words only
        ("chia … thế nào", "khi ly hôn chia đất như thế nào", True),
        ("chia … thế nào", "chia thế nào", True),  # the gap may be empty
        ("tích hợp … vneid", "vneid có tích hợp bằng lái không", False),  # in order only
    ],
)
def test_a_cue_is_said_as_whole_words_in_order(phrase: str, text: str, said: bool) -> None:
    assert _says(phrase, text) is said


def test_a_gap_does_not_reach_past_a_few_words() -> None:
    near = "chia " + "a " * MAX_GAP + "thế nào"
    far = "chia " + "a " * (MAX_GAP + 1) + "thế nào"
    assert _says("chia … thế nào", near)
    assert not _says("chia … thế nào", far)


def test_a_phrase_without_words_is_no_cue() -> None:
    assert Cue.of("…") is None
    assert Cue.of("  ") is None
