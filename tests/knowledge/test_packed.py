"""Texts kept compressed read back as the tuple or the string they were made from."""

from __future__ import annotations

import gzip
import json

from knowledge.model import Procedure
from knowledge.packed import PACK_FROM, PackedText, PackedTexts, pack
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


CONDITIONS = "Người yêu cầu đăng ký khai sinh phải xuất trình giấy tờ tùy thân. " * 4


def test_a_packed_text_reads_as_its_string() -> None:
    packed = pack(CONDITIONS)
    assert isinstance(packed, PackedText)
    assert str(packed) == CONDITIONS
    assert packed == CONDITIONS
    assert CONDITIONS == packed  # noqa: SIM300 - the string on the left, as a dataclass compares
    assert hash(packed) == hash(CONDITIONS)
    assert packed == PackedText(CONDITIONS)
    assert packed != CONDITIONS[:-1]
    assert packed
    short = CONDITIONS[: PACK_FROM - 1]
    assert pack(short) is short
    assert pack("") == ""


def long_texts(procedure: Procedure) -> list[object]:
    """A procedure's conditions, its channels' descriptions and its papers' details."""
    papers = [d for g in procedure.documents for d in g.documents]
    return [
        procedure.conditions,
        *(c.description for c in procedure.channels),
        *(d.details for d in papers),
    ]


def test_a_loaded_procedure_keeps_its_long_texts_packed_and_its_names_as_strings() -> None:
    procedures = load_knowledge_base()
    texts = [t for p in procedures for t in long_texts(p)]
    packed = [t for t in texts if isinstance(t, PackedText)]
    kept = [t for t in texts if not isinstance(t, PackedText)]
    assert len(packed) > 1000
    assert all(isinstance(t, str) and len(t) < PACK_FROM for t in kept)
    names = [d.name for p in procedures for g in p.documents for d in g.documents]
    assert all(type(name) is str for name in names)
    as_strings = sum(len(str(t).encode("utf-16-le")) for t in packed)
    assert sum(len(t._packed) for t in packed) < as_strings / 2
