"""The knowledge-base file: versioned, deterministic, and the shipped one loads."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from support.procedures import shipped

from knowledge.model import (
    Channel,
    ChannelKind,
    Document,
    DocumentGroup,
    Duration,
    Fee,
    LegalBasis,
    OnlineFiling,
    Procedure,
)
from knowledge.store import (
    FORMAT,
    KnowledgeBaseFormatError,
    default_path,
    encode_knowledge_base,
    load_knowledge_base,
    save_knowledge_base,
)

BIRTH = Procedure(
    code="1.001193",
    name="Thủ tục đăng ký khai sinh",
    levels=("Cấp xã",),
    field="Hộ tịch",
    applicants=("Công dân Việt Nam",),
    agencies=("Ủy ban nhân dân cấp xã",),
    channels=(
        Channel(ChannelKind.ONLINE, Duration(1.0, None, "1"), Fee(0, "Miễn phí")),
        Channel(ChannelKind.IN_PERSON, Duration(3.0, "working_days", "3 Ngày làm việc"), None),
    ),
    documents=(
        DocumentGroup("", (Document("Tờ khai đăng ký khai sinh", 1, None, "TK.docx"),)),
        DocumentGroup("Trường hợp ủy quyền", (Document("Văn bản ủy quyền", 0, 1),), case=True),
    ),
    present_documents=(Document("Thẻ căn cước", 1),),
    steps=("Bước 1: nộp hồ sơ", "Bước 2: nhận kết quả"),
    result="Giấy khai sinh",
    legal_basis=(LegalBasis("Luật Hộ tịch", "60/2014/QH13"), LegalBasis("Văn bản khác", None)),
    online=OnlineFiling.PARTIAL,
    source_url="https://dichvucong.gov.vn/thu-tuc-hanh-chinh/x",
    extra={"result_codes": "KQ.G15.000031"},
    notes=("Cá nhân có quyền lựa chọn nơi đăng ký.",),
)
DEATH = Procedure(code="1.000656", name="Thủ tục đăng ký khai tử")


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    path = tmp_path / "kb.json.gz"
    save_knowledge_base([BIRTH, DEATH], path)
    assert load_knowledge_base(path) == (DEATH, BIRTH)  # sorted by code


def test_a_text_or_part_repeated_across_procedures_is_kept_once(tmp_path: Path) -> None:
    # A large base repeats agencies, fees and legal bases thousands of times; each distinct
    # text or part is one object in memory, not one per occurrence.
    death = Procedure(
        code=DEATH.code,
        name=DEATH.name,
        agencies=BIRTH.agencies,
        legal_basis=(LegalBasis("Luật Hộ tịch", "60/2014/QH13"),),
    )
    path = tmp_path / "kb.json.gz"
    save_knowledge_base([BIRTH, death], path)
    loaded_death, loaded_birth = load_knowledge_base(path)
    assert (loaded_birth, loaded_death) == (BIRTH, death)
    assert loaded_death.agencies[0] is loaded_birth.agencies[0]
    assert loaded_death.legal_basis[0] is loaded_birth.legal_basis[0]
    assert loaded_death.agencies is loaded_birth.agencies


def test_the_shipped_knowledge_base_reads_back_to_the_same_bytes() -> None:
    # Keeping one copy of equal parts must never change a value (1 and 1.0 are equal).
    assert encode_knowledge_base(load_knowledge_base()) == default_path().read_bytes()


def test_same_procedures_give_the_same_bytes_in_any_order() -> None:
    first = encode_knowledge_base([BIRTH, DEATH])
    assert encode_knowledge_base([DEATH, BIRTH]) == first
    assert first[4:8] == b"\x00\x00\x00\x00"  # gzip header mtime is zero


def test_file_is_versioned_gzip_json(tmp_path: Path) -> None:
    path = tmp_path / "kb.json.gz"
    save_knowledge_base([BIRTH], path)
    document = json.loads(gzip.decompress(path.read_bytes()))
    assert document["format"] == FORMAT
    assert [p["code"] for p in document["procedures"]] == ["1.001193"]


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kb.json.gz"
    path.write_bytes(gzip.compress(json.dumps({"format": 99, "procedures": []}).encode()))
    with pytest.raises(KnowledgeBaseFormatError, match="format 99"):
        load_knowledge_base(path)


def test_a_file_that_is_not_a_knowledge_base_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kb.json.gz"
    path.write_text("not gzip")
    with pytest.raises(KnowledgeBaseFormatError):
        load_knowledge_base(path)


def test_the_shipped_knowledge_base_loads_with_every_source() -> None:
    procedures = shipped()
    codes = {p.code for p in procedures}
    assert len(procedures) == 5774
    assert sum(p.catalogue_only for p in procedures) == 2500
    # crawl, document export, portal API, catalogue
    assert {"1.001193", "1.014061", "1.013133", "1.000578", "1.014748"} <= codes
    birth = next(p for p in procedures if p.code == "1.001193")
    assert birth.name == "Thủ tục đăng ký khai sinh"
    assert birth.source_url.startswith("https://dichvucong.gov.vn/")
