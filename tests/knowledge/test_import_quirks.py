"""Each quirk of the portal data, on the real records that show it and on single cells."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest

from knowledge.importer import parse_record
from knowledge.importer.cells import duration, fee, split_templates
from knowledge.importer.common import Problems
from knowledge.model import ChannelKind, Document, Duration, LegalBasis, OnlineFiling, Procedure

Records = dict[str, dict[str, Any]]


def parse(records: Records, code: str) -> Procedure:
    return parse_record(records[code], Problems())


def test_concatenated_channel_cells_become_one_channel_per_row(source_records: Records) -> None:
    # "Trực tuyến1 Ngày làm việc50,000 VNĐ(Lệ phí cấp giấy chứng nhận)Dịch vụ bưu chính1 ..."
    channels = parse(source_records, "1.000017").channels
    assert [c.kind for c in channels] == [
        ChannelKind.ONLINE,
        ChannelKind.POST,
        ChannelKind.IN_PERSON,
    ]
    for channel in channels:
        assert channel.time == Duration(1.0, "working_days", "1 Ngày làm việc")
        assert channel.fee is not None and channel.fee.amount == 50000
        assert "Lệ phí cấp giấy chứng nhận" in channel.fee.text


def test_a_channel_name_inside_a_description_does_not_start_a_row(source_records: Records) -> None:
    # The in-person description reads "- Trực tiếp tại địa điểm tiếp dân của Công an cấp xã..."
    channels = parse(source_records, "1.014061").channels
    assert [c.kind for c in channels] == [ChannelKind.IN_PERSON, ChannelKind.ONLINE]
    assert channels[0].description.startswith("- Trực tiếp tại địa điểm tiếp dân")
    assert channels[0].fee is None  # "Không có thông tin"


def test_bare_processing_time_keeps_its_unit_missing(source_records: Records) -> None:
    # Birth registration: "Trực tuyến1Miễn phí" - the portal lost the unit of "1".
    channels = parse(source_records, "1.001193").channels
    assert {c.time for c in channels} == {Duration(1.0, None, "1")}
    assert duration("1") == Duration(1.0, None, "1")
    assert duration("7 Ngày làm việc") == Duration(7.0, "working_days", "7 Ngày làm việc")
    assert duration("02 Giờ") == Duration(2.0, "hours", "02 Giờ")
    assert duration("Không có thông tin") is None


def test_bare_time_glued_to_an_amount_is_split_where_the_amount_is_well_formed(
    source_records: Records,
) -> None:
    # "Trực tuyến120,000 VNĐ(Theo khoản 1 Điều 3 ...)" is time "1" and fee "20,000 VNĐ".
    online = parse(source_records, "1.000005").channels[0]
    assert online.time == Duration(1.0, None, "1")
    assert online.fee is not None and online.fee.amount == 20000


def test_fee_amount_comes_from_the_note_when_the_cell_says_free(source_records: Records) -> None:
    # "Miễn phí(Phí thẩm định ...: Đánh giá gia hạn 22.500.000 đồng/lần/phòng...)"
    online = parse(source_records, "1.003058").channels[0]
    assert online.fee is not None
    assert online.fee.amount == 22_500_000
    assert online.fee.text.startswith("Miễn phí (Phí thẩm định")


@pytest.mark.parametrize(
    ("cell", "note", "amount"),
    [
        ("Miễn phí", "", 0),
        ("Miễn phí", "Lệ phí 50.000 đồng/lần", 50000),
        ("Miễn phí", "135.000 đồng/lần; trực tuyến 115.000 đồng/lần", None),
        ("20 VNĐ", "20.000 vnđ/tờ khai", 20000),
        ("5,000 Việt Nam Đồng", "thu 7.000 đồng/lần đăng ký", 5000),
        ("1,500,000 Việt Nam Đồng", "", 1_500_000),
        ("10 USD", "10USD/giấy", None),
    ],
)
def test_fee_amount_rules(cell: str, note: str, amount: int | None) -> None:
    parsed = fee(cell, note)
    assert parsed is not None
    assert parsed.amount == amount
    assert parsed.text.startswith(cell)


@pytest.mark.parametrize(
    ("cell", "note", "text", "amount"),
    [
        ("Miễn phí Đồng", "", "Miễn phí", 0),
        ("", "Miễn phí Đồng - Trường hợp công dân thuộc diện được miễn", "Miễn phí - Trường", None),
        ("Miễn phí", "250.000 đ/lần Đồng (Sát hạch)", "Miễn phí (250.000 đ/lần (Sát", 250000),
        ("7,000 Đồng", "", "7,000 Đồng", 7000),
        ("1,500,000 Việt Nam Đồng", "", "1,500,000 Việt Nam Đồng", 1_500_000),
        ("Miễn phí", "15000000/lần Đồng (gia hạn)", "Miễn phí (15000000/lần Đồng", 0),
        ("Miễn phí", "50 nghìn Đồng", "Miễn phí (50 nghìn Đồng)", 0),
    ],
)
def test_a_currency_glued_where_no_amount_is_goes(
    cell: str, note: str, text: str, amount: int | None
) -> None:
    """The portal's template puts "Đồng" after every fee cell, "Miễn phí" too."""
    parsed = fee(cell, note)
    assert parsed is not None
    assert parsed.text.startswith(text)
    assert parsed.amount == amount


def test_no_information_is_empty(source_records: Records) -> None:
    procedure = parse(source_records, "1.014061")
    assert procedure.conditions == ""
    assert fee("Không có thông tin") is None


def test_document_counts_originals_and_copies(source_records: Records) -> None:
    documents = {
        d.name: d for g in parse(source_records, "3.000347").documents for d in g.documents
    }
    renewal_form = next(d for n, d in documents.items() if n.startswith("Đề nghị đổi giấy phép"))
    assert (renewal_form.originals, renewal_form.copies) == (1, None)  # "1 bản chính"
    copy = next(d for n, d in documents.items() if n.startswith("Bản sao hoặc bản sao điện tử"))
    assert (copy.originals, copy.copies) == (0, 1)  # "0 bản chính,1 bản sao"


def test_count_glued_to_a_year_takes_only_the_last_digit(source_records: Records) -> None:
    # "... ngày 15 tháng 5 năm 20161 bản chính" is the year 2016 and one original.
    documents = [d for g in parse(source_records, "1.001658").documents for d in g.documents]
    last = next(d for d in documents if "năm 2016" in d.name)
    assert last.name.endswith("năm 2016")
    assert last.originals == 1


def test_documents_are_grouped_by_case(source_records: Records) -> None:
    groups = parse(source_records, "1.004222").documents
    titles = [g.title for g in groups]
    assert titles[0] == "Đăng ký thường trú vào chỗ ở hợp pháp thuộc quyền sở hữu của mình"
    assert "Đăng ký thường trú vào chỗ ở hợp pháp do thuê, mượn, ở nhờ" in titles
    rented = groups[titles.index("Đăng ký thường trú vào chỗ ở hợp pháp do thuê, mượn, ở nhờ")]
    assert rented.documents[0].name.startswith("Hợp đồng, văn bản về việc cho thuê")


def test_documents_to_present_are_kept_apart(source_records: Records) -> None:
    birth = parse(source_records, "1.001193")
    assert any(d.name.startswith("Hộ chiếu/Thẻ căn cước công dân") for d in birth.present_documents)
    submitted = [d.name for g in birth.documents for d in g.documents]
    assert not any(n.startswith("Hộ chiếu/Thẻ căn cước công dân") for n in submitted)
    assert any(n.startswith("Giấy chứng sinh") for n in submitted)


def test_form_templates_are_cut_from_the_end_of_the_name(source_records: Records) -> None:
    papers = parse(source_records, "1.014061").documents[0].documents
    first = next(d for d in papers if d.name.startswith("Phiếu thu thập thông tin dân cư"))
    assert first.name.endswith("ngày 01/7/2025 của Bộ Công an)")
    assert first.template == "Mẫu DC01 Phiếu thu thập thông tin dân cư.docx"
    residence = [
        d.template for g in parse(source_records, "1.004194").documents for d in g.documents
    ]
    assert "1.MuCT01banhnhkmtheoThngts53.doc" in residence


@pytest.mark.parametrize(
    ("row", "name", "template"),
    [
        ("Tờ khai theo mẫuTK 1.010702.docx", "Tờ khai theo mẫu", "TK 1.010702.docx"),
        ("Bản đồ khoáng sản nhóm IVMau 36.doc", "Bản đồ khoáng sản nhóm IV", "Mau 36.doc"),
        ("Số lượng 01 bộ.Mẫu 1.docxMẫu 2.docx", "Số lượng 01 bộ.", "Mẫu 1.docx; Mẫu 2.docx"),
        (
            "Quyết định 09/2023/QĐ-TTg ngày 12/4/2023.Đơn.pdf",
            "Quyết định 09/2023/QĐ-TTg ngày 12/4/2023.",
            "Đơn.pdf",
        ),
        ("Giấy đề nghị theo mẫu", "Giấy đề nghị theo mẫu", None),
        (
            "Văn bản đề nghị theo mẫu;mẫu tờ khai.doc",
            "Văn bản đề nghị theo mẫu;",
            "mẫu tờ khai.doc",
        ),
        ("Tài liệu khác (nếu có)mẫu số 1.docx", "Tài liệu khác (nếu có)", "mẫu số 1.docx"),
        (
            "Mẫu số 06.QLT Phụ lục IA Nghị định số 32/2026/NĐ-CP;Mẫu số 06.QLT.docx",
            "Mẫu số 06.QLT Phụ lục IA Nghị định số 32/2026/NĐ-CP;",
            "Mẫu số 06.QLT.docx",
        ),
        (
            "Thông tư 01/2025 ngày 27/12/2021.Mus09.docx",
            "Thông tư 01/2025 ngày 27/12/2021.",
            "Mus09.docx",
        ),
    ],
)
def test_split_templates(row: str, name: str, template: str | None) -> None:
    assert split_templates(row) == (name, template)


def test_legal_basis_rows_split_into_title_and_code(source_records: Records) -> None:
    basis = parse(source_records, "1.001193").legal_basis
    assert LegalBasis("Luật 60/2014/QH13", "60/2014/QH13") in basis  # "...QH1360/2014/QH13"
    assert (
        LegalBasis(
            "Nghị định quy định về Cơ sở dữ liệu hộ tịch điện tử, đăng ký hộ tịch trực tuyến",
            "87/2020/NĐ-CP",
        )
        in basis
    )
    assert all(b.code for b in basis)


def test_legal_codes_glued_to_the_next_title_and_yearless_codes(source_records: Records) -> None:
    basis = parse(source_records, "1.001613").legal_basis
    assert basis[2].code == "2222/QĐ-BHXH"
    assert basis[3] == LegalBasis("Thông tư 56/2017/TT-BYT", "56/2017/TT-BYT")


def test_raw_text_is_recut_when_a_step_mentions_a_section_label(source_records: Records) -> None:
    # The crawler cut this page at "(Thành phần hồ sơ)" inside step 1.
    record = source_records["1.001613"]
    assert record["thanh_phan_ho_so"].startswith(") và nộp cho cơ quan BHXH")
    procedure = parse(source_records, "1.001613")
    assert [s[:7] for s in procedure.steps] == ["Bước 1.", "Bước 2.", "Bước 3."]
    documents = [d.name for g in procedure.documents for d in g.documents]
    assert "a) Sổ BHXH" in documents
    assert "b) Đơn đề nghị (Mẫu số 14-HSB)" in documents


def test_raw_text_is_recut_when_a_fee_note_mentions_legal_basis(source_records: Records) -> None:
    # The fee note says "Căn cứ pháp lý: Thông tư 269/2016/TT-BTC"; the page has no legal basis.
    record = source_records["3.000337"]
    assert record["can_cu_phap_ly"].startswith(": Thông tư 269/2016/TT-BTC")
    procedure = parse(source_records, "3.000337")
    assert procedure.legal_basis == ()
    assert Document("Bản khai Cấp tên định danh (theo Mẫu)", 1) in procedure.documents[0].documents


def test_texts_are_nfc_with_one_tone_placement(source_records: Records) -> None:
    assert source_records["1.000232"]["ten_thu_tuc"].startswith("Huỷ")
    assert parse(source_records, "1.000232").name.startswith("Hủy tài khoản điện tử")
    raw_name = source_records["1.002549"]["ten_thu_tuc"]
    assert not unicodedata.is_normalized("NFC", raw_name)
    assert unicodedata.is_normalized("NFC", parse(source_records, "1.002549").name)


def test_online_filing_full_or_partial_when_the_page_says_so(source_records: Records) -> None:
    assert parse(source_records, "1.012575").online is OnlineFiling.FULL
    assert parse(source_records, "1.013079").online is OnlineFiling.PARTIAL
    assert parse(source_records, "1.001193").online is None


def test_document_export_shape(source_records: Records) -> None:
    # Ministry of Defence export: counts in "ghi_chu", the template in "so_luong".
    military = parse(source_records, "1.013133")
    assert military.levels == ("Cấp xã",)
    assert military.documents[0].documents[0] == Document(
        "Phiếu tự khai sức khỏe nghĩa vụ quân sự", 1, 0, None
    )
    in_person, online = military.channels
    assert in_person.fee is not None and in_person.fee.amount == 0  # "Phí : 0 Đồng"
    assert online.time == Duration(2.0, "hours", "02 Giờ")
    oil_spill = parse(source_records, "1.013124")
    assert oil_spill.documents[0].documents[1].template == "5-PHLCII.doc"
    assert oil_spill.legal_basis[0].code == "12/2021/QĐ-TTg"  # the row said only "12"


def test_applicant_categories_with_commas_stay_whole(source_records: Records) -> None:
    applicants = parse(source_records, "1.010041").applicants
    assert "Cán bộ, công chức, viên chức" in applicants
    assert "Tổ chức (không bao gồm doanh nghiệp, HTX)" in applicants


def test_abolished_district_level_agencies_are_set_aside(source_records: Records) -> None:
    problems = Problems()
    procedure = parse_record(source_records["1.001613"], problems)
    assert procedure.agencies == ("Bảo hiểm xã hội cấp Tỉnh",)
    assert procedure.extra["district_level_agencies"] == "Bảo hiểm xã hội cấp huyện"
    assert [(p.part, p.reason) for p in problems.items] == [
        ("agencies", "names the district level, abolished on 1 July 2025")
    ]


def test_remarks_under_luu_y_are_notes_not_documents(source_records: Records) -> None:
    birth = parse(source_records, "1.001193")
    assert len(birth.notes) == 24
    assert any(n.startswith("Cá nhân có quyền lựa chọn thực hiện thủ tục") for n in birth.notes)
    assert [(g.title, g.case) for g in birth.documents] == [
        ("", False),
        ("Trường hợp trẻ em bị bỏ rơi", True),
        ("Trường hợp khai sinh cho trẻ em sinh ra do mang thai hộ", True),
    ]
    residence = parse(source_records, "1.004222")  # a row that is itself "Lưu ý: - ..."
    assert residence.notes[0].startswith("Lưu ý: - Không yêu cầu xuất trình Giấy khai sinh")
    assert "" not in [g.title for g in residence.documents]
    security = parse(source_records, "1.011435")  # a remark after the last table
    assert security.notes[-1].startswith("Trường hợp nộp hồ sơ qua hệ thống đăng ký trực tuyến")


def test_present_heading_in_other_words(source_records: Records) -> None:
    # "Người yêu cầu chứng thực phải xuất trình các giấy tờ sau"
    signature = parse(source_records, "2.000884")
    assert signature.documents == ()
    assert signature.present_documents[1].name.startswith("Giấy tờ, văn bản mà mình sẽ yêu cầu")
