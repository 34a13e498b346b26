"""Texts kept compressed read back as the tuple they were made from."""

from __future__ import annotations

import gzip
import json

from knowledge.packed import PackedTexts
from knowledge.store import default_path, load_knowledge_base

STEPS = ("Bước 1: nộp hồ sơ tại Ủy ban nhân dân cấp xã", "Bước 2: nhận kết quả")


def test_packed_texts_read_as_their_tuple() -> None:
    packed = PackedTexts(STEPS)
    assert len(packed) == 2
    assert packed[1] == STEPS[1]
    assert packed[:1] == STEPS[:1]
    assert list(packed) == list(STEPS)
    assert packed == STEPS
    assert STEPS == packed  # noqa: SIM300 - the tuple on the left, as a dataclass compares
    assert hash(packed) == hash(STEPS)
    assert packed == PackedTexts(list(STEPS))
    assert packed != STEPS[:1]
    assert packed != "Bước 1"
    assert not PackedTexts()
    assert PackedTexts() == ()


def test_a_loaded_procedure_keeps_its_steps_packed_and_smaller() -> None:
    birth = next(p for p in load_knowledge_base() if p.code == "1.001193")
    document = json.loads(gzip.decompress(default_path().read_bytes()))
    written = next(d for d in document["procedures"] if d["code"] == "1.001193")["steps"]
    assert isinstance(birth.steps, PackedTexts)
    assert written
    assert list(birth.steps) == written
    as_strings = sum(len(step.encode("utf-16-le")) for step in birth.steps)
    assert len(birth.steps._packed) < as_strings / 2
