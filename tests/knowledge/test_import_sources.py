"""The portal API's records, the portal's catalogue, and the choice between records of a code."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowledge.importer import import_files, parse_record, preference
from knowledge.importer.common import Problems
from knowledge.model import ChannelKind, Duration, OnlineFiling, Procedure

Records = dict[str, dict[str, Any]]
WriteSource = Callable[[str, list[dict[str, Any]]], Path]


def parse(record: dict[str, Any]) -> tuple[Procedure, Problems]:
    problems = Problems()
    return parse_record(record, problems), problems


def test_api_record_keeps_its_structure(api_records: Records) -> None:
    # Border paternity registration: groups headed "* Giấy tờ phải nộp:", "* Giấy tờ phải xuất
    # trình:" and "* Lưu ý:"; times with the unit "OTHER" (lost); fees stated only in words.
    procedure, problems = parse(api_records["1.000080"])
    assert problems.items == []
    assert (
        procedure.name
        == "Thủ tục đăng ký nhận cha, mẹ, con có yếu tố nước ngoài tại khu vực biên giới"
    )
    assert procedure.levels == ("Cấp xã",)
    assert procedure.field == "Hộ tịch"
    assert procedure.applicants == ("Công dân Việt Nam", "Người nước ngoài")
    assert procedure.ministry == "Bộ Tư pháp"
    assert procedure.source_url == (
        "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/019d2bfd-380b-73df-9a18-5658e09794d3"
    )
    assert [c.kind for c in procedure.channels] == [
        ChannelKind.ONLINE,
        ChannelKind.POST,
        ChannelKind.IN_PERSON,
    ]
    assert {c.time for c in procedure.channels} == {Duration(7.0, None, "7")}
    fee = procedure.channels[0].fee
    assert fee is not None and fee.amount is None
    assert fee.text.startswith("Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh")
    # The heading groups became the general list, a case, the papers to show, and remarks.
    assert [g.title for g in procedure.documents] == ["", "Trường hợp không có văn bản nêu trên"]
    assert procedure.documents[0].documents[0].name.startswith("Mẫu hộ tịch điện tử tương tác")
    assert any(d.name.startswith("Hộ chiếu/Thẻ căn cước") for d in procedure.present_documents)
    assert any(
        n.startswith("Giấy tờ do cơ quan có thẩm quyền của nước ngoài") for n in procedure.notes
    )
    assert not any(
        d.name.startswith(("-", "+", "*")) for g in procedure.documents for d in g.documents
    )
    assert procedure.legal_basis[0].code == "104/2022/NĐ-CP"
    assert procedure.result == "Trích lục đăng ký nhận cha, mẹ, con"
    assert procedure.online is OnlineFiling.PARTIAL
    assert procedure.decision == "163/QĐ-BTP"
    assert not procedure.catalogue_only


def test_api_fee_value_and_time_unit(api_records: Records) -> None:
    # A copy of a civil-status extract at the Ministry of Foreign Affairs: 8,000 đồng, 1 day.
    procedure, _ = parse(api_records["1.000578"])
    (channel,) = procedure.channels
    assert channel.kind is ChannelKind.IN_PERSON
    assert channel.time == Duration(1.0, "working_days", "1 Ngày làm việc")
    assert channel.fee is not None and channel.fee.amount == 8000
    assert "Cấp bản sao trích lục hộ tịch" in channel.fee.text
    assert procedure.agencies == ("Cục Lãnh sự - Bộ Ngoại giao",)


def test_api_time_written_as_a_sentence_keeps_the_words(api_records: Records) -> None:
    record = copy.deepcopy(api_records["1.000578"])
    record["executionMethods"][0]["processingTime"] = "Theo dự án được phê duyệt"
    procedure, _ = parse(record)
    assert procedure.channels[0].time == Duration(None, None, "Theo dự án được phê duyệt")


def test_api_html_is_reduced_to_text(api_records: Records) -> None:
    record = copy.deepcopy(api_records["1.000578"])
    record["requirementsAndConditions"] = "<p>Có giấy tờ tùy thân</p><p>Đủ 18 tuổi &amp; hơn</p>"
    procedure, _ = parse(record)
    assert procedure.conditions == "Có giấy tờ tùy thân\nĐủ 18 tuổi & hơn"


def test_catalogue_record_is_known_but_not_detailed(catalogue_records: Records) -> None:
    # Unemployment benefit: in no detailed source, only in the catalogue (Ministry of Home Affairs).
    procedure, problems = parse(catalogue_records["1.014748"])
    assert problems.items == []
    assert procedure.catalogue_only
    assert procedure.name == "Hưởng trợ cấp thất nghiệp (Cấp tỉnh)"
    assert procedure.ministry == "Bộ Nội vụ"
    assert procedure.agencies
    assert procedure.source_url.startswith("https://dichvucong.gov.vn/thu-tuc-hanh-chinh/")
    assert procedure.documents == () and procedure.channels == ()


def kept_from(
    write_source: WriteSource, first: dict[str, Any], second: dict[str, Any]
) -> Procedure:
    """The record the importer keeps of two with the same code, checked in both file orders."""
    kept = set()
    for names in (("a.jsonl.gz", "b.jsonl.gz"), ("b.jsonl.gz", "a.jsonl.gz")):
        result = import_files([write_source(names[0], [first]), write_source(names[1], [second])])
        assert len(result.duplicates) == 1
        kept.update(result.procedures)
    (procedure,) = kept
    return procedure


def test_the_page_is_kept_where_the_api_record_lost_facts(
    source_records: Records, api_records: Records, write_source: WriteSource
) -> None:
    # Birth registration: the API record has no fees; the page states "Miễn phí" per channel.
    page, _ = parse(source_records["1.001193"])
    api, _ = parse(api_records["1.001193"])
    assert all(c.fee is None for c in api.channels)
    assert kept_from(write_source, api_records["1.001193"], source_records["1.001193"]) == page
    # Building permit: the page names the agency, the API record does not.
    page, _ = parse(source_records["1.013225"])
    api, _ = parse(api_records["1.013225"])
    assert page.agencies and not api.agencies
    assert kept_from(write_source, api_records["1.013225"], source_records["1.013225"]) == page


def test_the_api_record_is_kept_when_it_says_as_much_as_the_page(
    source_records: Records, api_records: Records, write_source: WriteSource
) -> None:
    # Death registration: both give the same sections and facts; the API record never had its
    # cells glued together, so it stays.
    page, page_problems = parse(source_records["1.000656"])
    api, api_problems = parse(api_records["1.000656"])
    assert (
        preference(page, len(page_problems.items))[:4]
        == preference(api, len(api_problems.items))[:4]
    )
    assert kept_from(write_source, source_records["1.000656"], api_records["1.000656"]) == api
    assert api.source_url.startswith("https://dichvucong.gov.vn/thu-tuc-hanh-chinh/")


def test_catalogue_entry_never_replaces_a_detailed_record(
    source_records: Records, catalogue_records: Records, write_source: WriteSource
) -> None:
    paths = [
        write_source("a-catalogue.jsonl.gz", [catalogue_records["1.001193"]]),
        write_source("b-pages.jsonl.gz", [source_records["1.001193"]]),
    ]
    (kept,) = import_files(paths).procedures
    assert not kept.catalogue_only
    assert kept.documents
