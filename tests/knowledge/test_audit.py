"""``motcua kb audit`` over the shipped knowledge base, and the structure rules it guards."""

from __future__ import annotations

from datetime import date

import pytest
from support.procedures import shipped

from bot.cli import main
from knowledge.audit import GLUED_TEMPLATE, GLUED_UNIT, HEADING_PAPER, LONG, audit, paper_findings
from knowledge.checks import Check, contradictions
from knowledge.importer import structure
from knowledge.model import Channel, ChannelKind, Document, Duration, Fee, Procedure

TODAY = date(2026, 12, 5)
# Template file names the portal glued to a paper with nothing to tell where the name ends
# ("...theo Hiện định GMSGMS - Gia hạn.docx"): reported by the audit, not guessed at.
KNOWN_GLUED = {"1.002046", "1.002286", "1.014132", "2.001095"}


def test_the_shipped_knowledge_base_has_no_heading_or_paragraph_papers() -> None:
    report = audit(shipped(), TODAY)
    assert report.count(HEADING_PAPER) == 0, [
        f for f in report.findings if f.check == HEADING_PAPER
    ]
    assert report.count(LONG) == 0
    assert {f.code for f in report.findings if f.check == GLUED_TEMPLATE} <= KNOWN_GLUED
    assert report.counts["procedures"] == len(shipped())
    # Every procedure's fees: none says "Miễn phí Đồng", "Không Đồng" or "đ/lần Đồng".
    assert report.count(GLUED_UNIT) == 0, [f for f in report.findings if f.check == GLUED_UNIT]
    assert report.counts["fees"] > 7000
    assert report.counts["cases"] > 2000  # the case groups the citizen is asked about


def test_audit_command_reports_zero_heading_papers_and_lists_contradictions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["kb", "audit", "--today", TODAY.isoformat()])
    out = capsys.readouterr().out
    assert "heading_paper: 0" in out
    assert "long_paper: 0" in out
    assert "glued_unit: 0" in out
    assert "unflagged contradictions: 0" in out
    assert "[time_without_unit]: 1" in out  # birth registration's bare "1"
    assert code == 1  # the known glued template names are still listed


@pytest.mark.parametrize(
    "name",
    [
        "* Giấy tờ phải nộp:",
        "Giấy tờ phải xuất trình",
        "Lưu ý: hồ sơ nộp trực tuyến",
        "a) Trường hợp ủy quyền:",
        "(i) Thành phần hồ sơ do tổ chức tín dụng Việt Nam lập gồm",
    ],
)
def test_audit_flags_headings_posing_as_papers(name: str) -> None:
    assert [f.check for f in paper_findings("x", Document(name, 1))] == [HEADING_PAPER]


def test_audit_flags_paragraphs_and_glued_templates() -> None:
    assert [f.check for f in paper_findings("x", Document("Đơn " + "dài " * 200, 1))] == [LONG]
    glued = Document("Đơn đề nghị theo mẫu quy địnhbáo cáo.docx", 1)
    assert [f.check for f in paper_findings("x", glued)] == [GLUED_TEMPLATE]


def rows(*names: str) -> list[Document]:
    return [Document(n, 0 if n.endswith(":") else 1) for n in names]


def test_headings_cases_and_notes_become_structure() -> None:
    arranged = structure.arrange(
        [
            structure.Block(
                "",
                rows(
                    "* Giấy tờ phải nộp:",
                    "Giấy chứng sinh",
                    "Trường hợp trẻ em bị bỏ rơi thì phải có biên bản về việc trẻ bị bỏ rơi.",
                    "Tờ khai đăng ký khai sinh theo mẫu",
                    "Đối với Quân đội nhân dân: Giấy giới thiệu của đơn vị",
                    "* Giấy tờ phải xuất trình:",
                    "Hộ chiếu hoặc thẻ căn cước",
                ),
            ),
            structure.Block("Lưu ý", rows("Người tiếp nhận không được yêu cầu thêm giấy tờ.")),
        ]
    )
    general, *cases = arranged.groups
    assert general.title == "" and not general.case
    # The main form first.
    assert [d.name for d in general.documents] == [
        "Tờ khai đăng ký khai sinh theo mẫu",
        "Giấy chứng sinh",
    ]
    assert [(g.title, g.case, [d.name for d in g.documents]) for g in cases] == [
        (
            "Trường hợp trẻ em bị bỏ rơi",
            True,
            ["Trường hợp trẻ em bị bỏ rơi thì phải có biên bản về việc trẻ bị bỏ rơi."],
        ),
        ("Đối với Quân đội nhân dân", True, ["Giấy giới thiệu của đơn vị"]),
    ]
    assert [d.name for d in arranged.present] == ["Hộ chiếu hoặc thẻ căn cước"]
    assert arranged.notes == ("Người tiếp nhận không được yêu cầu thêm giấy tờ.",)


def test_titled_tables_are_alternative_cases() -> None:
    arranged = structure.arrange(
        [
            structure.Block("Đăng ký vào chỗ ở thuộc quyền sở hữu", rows("Giấy tờ chỗ ở")),
            structure.Block("Đăng ký vào chỗ ở do thuê, mượn, ở nhờ", rows("Hợp đồng thuê")),
        ]
    )
    assert [g.case for g in arranged.groups] == [True, True]


@pytest.mark.parametrize(
    ("row", "name", "template"),
    [
        (
            "Đơn đề nghị theo mẫu quy địnhbáo cáo kết quả khảo sát.docx",
            "Đơn đề nghị theo mẫu quy định",
            "báo cáo kết quả khảo sát.docx",
        ),
        (
            "Giấy đề nghị trong thời hạnmau so 20.doc",
            "Giấy đề nghị trong thời hạn",
            "mau so 20.doc",
        ),
        (
            "Tờ khai theo Nghị định năm 2026Mẫu số 11.docx",
            "Tờ khai theo Nghị định năm 2026",
            "Mẫu số 11.docx",
        ),
        (
            "Đơn đăng ký thủy sảnMau 06 TS. Giay dang ky.docx",
            "Đơn đăng ký thủy sản",
            "Mau 06 TS. Giay dang ky.docx",
        ),
    ],
)
def test_template_files_glued_to_names_are_detached(row: str, name: str, template: str) -> None:
    paper = structure.tidy(Document(row, 1))
    assert (paper.name, paper.template) == (name, template)


def test_a_long_paper_keeps_its_first_sentence_as_name_and_the_rest_as_details() -> None:
    text = "Bản khai thông tin của người đề nghị. " + "Trường hợp khác thì ghi rõ lý do. " * 30
    paper = structure.tidy(Document(text, 1))
    assert paper.name == "Bản khai thông tin của người đề nghị."
    assert paper.details.startswith("Trường hợp khác")


def fee_channel(text: str, amount: int | None, time: Duration | None = None) -> Channel:
    return Channel(ChannelKind.IN_PERSON, time, Fee(amount, text))


@pytest.mark.parametrize(
    ("channel", "check"),
    [
        (fee_channel("Miễn phí (Lệ phí 50.000 đồng/lần)", None), Check.FREE_WITH_FEE),
        (fee_channel("20 VNĐ", 20), Check.IMPLAUSIBLE_AMOUNT),
        (
            fee_channel("5,000,000 VNĐ (giảm 20% đến hết ngày 31/12/2024)", 5_000_000),
            Check.EXPIRED_DISCOUNT,
        ),
        (fee_channel("Miễn phí", 0, Duration(1, None, "1")), Check.TIME_WITHOUT_UNIT),
    ],
)
def test_contradictions_are_found_with_the_source_words(channel: Channel, check: str) -> None:
    found = contradictions(Procedure("x", "Thủ tục", channels=(channel,)), TODAY)
    assert [c.check for c in found] == [check]
    assert found[0].words in (channel.fee.text if channel.fee else "", "1")


def test_a_discount_still_running_is_not_a_contradiction() -> None:
    channel = fee_channel("50,000 VNĐ (25.000 đồng đến hết ngày 31/12/2026)", 50_000)
    assert contradictions(Procedure("x", "T", channels=(channel,)), TODAY) == ()


def test_the_abolished_district_level_is_a_contradiction() -> None:
    procedure = Procedure("x", "T", extra={"district_level_agencies": "UBND cấp huyện"})
    assert [c.words for c in contradictions(procedure, TODAY)] == ["UBND cấp huyện"]
