"""``motcua kb``: build the knowledge base from portal data, and show one procedure."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal

from bot.i18n import BabelTranslator
from dialogs.flows import card
from knowledge.audit import GLUED_TEMPLATE, GLUED_UNIT, HEADING_PAPER, LONG, Report, audit
from knowledge.importer import Changes, ImportResult, compare, import_files
from knowledge.model import Channel, ChannelKind, Document, Duration, Fee, OnlineFiling, Procedure
from knowledge.store import (
    KnowledgeBaseFormatError,
    default_path,
    encode_knowledge_base,
    load_knowledge_base,
    procedure_to_dict,
    save_knowledge_base,
)
from knowledge.text import fold


def register(subparsers: Any) -> None:
    """Add ``kb import`` and ``kb show`` to the ``motcua`` parser."""
    kb = subparsers.add_parser("kb", help="knowledge base: import portal data, show a procedure")
    commands = kb.add_subparsers(dest="kb_command", required=True, metavar="COMMAND")

    imp = commands.add_parser("import", help="build the knowledge base from portal source files")
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".jsonl(.gz) sources")
    imp.add_argument("--out", type=Path, default=None, help="output file (default: shipped kb)")
    imp.set_defaults(func=run_import)

    show = commands.add_parser("show", help="print one procedure as a citizen reads it")
    show.add_argument("code", help="national procedure code, e.g. 1.001193")
    show.add_argument("--json", action="store_true", help="print the full parsed record")
    show.add_argument(
        "--section", choices=list(SECTIONS), default=None, help="print only this section"
    )
    show.add_argument("--kb", type=Path, default=None, help="knowledge-base file to read")
    show.set_defaults(func=run_show)

    check = commands.add_parser(
        "audit", help="list papers that are not papers and contradictions to flag"
    )
    check.add_argument("--kb", type=Path, default=None, help="knowledge-base file to read")
    check.add_argument(
        "--today", type=date.fromisoformat, default=None, help="date for expiries (YYYY-MM-DD)"
    )
    check.add_argument("--quiet", action="store_true", help="print the counts only")
    check.set_defaults(func=run_audit)


def run_import(args: argparse.Namespace) -> int:
    """Parse the sources, write the knowledge base, report problems and changes."""
    out: Path = args.out or default_path()
    missing = [str(p) for p in args.paths if not p.is_file()]
    if missing:
        print(f"Không tìm thấy tệp / file not found: {', '.join(missing)}", file=sys.stderr)
        return 1
    try:
        result = import_files(args.paths, progress=sys.stderr)
    except (OSError, ValueError) as exc:
        print(f"Không đọc được dữ liệu / cannot read the sources: {exc}", file=sys.stderr)
        return 1
    previous = _previous(out)
    _report(result)
    if previous is not None and encode_knowledge_base(result.procedures) == out.read_bytes():
        print(f"Không có thay đổi / unchanged: {out}")
        return 0
    save_knowledge_base(result.procedures, out)
    if previous is not None:
        _report_changes(compare(previous, result.procedures))
    print(f"Đã ghi / written: {out}")
    return 0


def _previous(out: Path) -> tuple[Procedure, ...] | None:
    """The knowledge base already at ``out``, if there is a readable one."""
    if not out.is_file():
        return None
    try:
        return load_knowledge_base(out)
    except KnowledgeBaseFormatError:
        return None


def _report(result: ImportResult) -> None:
    problem_codes = {p.code for p in result.problems}
    fully = sum(1 for p in result.procedures if p.code not in problem_codes)
    print(
        f"Bản ghi / records: {result.records}; thủ tục / procedures: {len(result.procedures)}; "
        f"đọc trọn vẹn / parsed fully: {fully}; "
        f"có vấn đề / with problems: {len(problem_codes)}"
    )
    for code in result.duplicates:
        print(
            f"  {code}: mã trùng, giữ bản ghi có cấu trúc tốt hơn"
            " / duplicate code, better-structured record kept"
        )
    for problem in result.problems:
        print(f"  {problem.code} [{problem.part}]: {problem.reason}")


def _report_changes(changes: Changes) -> None:
    print(
        f"Thêm / added: {len(changes.added)}; đổi / changed: {len(changes.changed)}; "
        f"bỏ / removed: {len(changes.removed)}"
    )
    for label, codes in (("+", changes.added), ("~", changes.changed), ("-", changes.removed)):
        for code in codes:
            print(f"  {label} {code}")


def run_audit(args: argparse.Namespace) -> int:
    """Print the audit: counts, papers that look wrong, and contradictions that are flagged.

    Exits 1 when a paper is a heading, too long or carries a glued template file.
    """
    try:
        procedures = load_knowledge_base(args.kb)
    except (OSError, KnowledgeBaseFormatError) as exc:
        print(
            f"Không đọc được cơ sở dữ liệu / cannot read the knowledge base: {exc}", file=sys.stderr
        )
        return 1
    today = args.today or date.today()
    report = audit(procedures, today)
    counts = ", ".join(f"{name}: {value}" for name, value in sorted(report.counts.items()))
    print(f"Đếm / counts: {counts}")
    for check in (HEADING_PAPER, LONG, GLUED_TEMPLATE, GLUED_UNIT):
        print(f"{check}: {report.count(check)}")
    flagged = Counter(c.check for _code, c in report.contradictions)
    kinds = ", ".join(f"{k}: {v}" for k, v in sorted(flagged.items()))
    print(
        "Mâu thuẫn, đã gắn cờ “hỏi bộ phận một cửa” / contradictions, flagged: "
        f"{len(report.contradictions)} ({kinds})"
    )
    missing = unflagged(report, procedures, today)
    print(f"Mâu thuẫn chưa gắn cờ / unflagged contradictions: {len(missing)}")
    if not args.quiet:
        for finding in report.findings:
            print(f"  {finding.code} [{finding.check}]: {finding.text}")
        for code, contradiction in report.contradictions:
            print(f"  {code} [{contradiction.check}]: {contradiction.words}")
    return 1 if report.findings else 0


def unflagged(
    report: Report, procedures: tuple[Procedure, ...], today: date
) -> list[tuple[str, str]]:
    """Contradictions whose words the citizen's card (in Vietnamese) does not show."""
    by_code = {p.code: p for p in procedures}
    translator = BabelTranslator("vi")
    cards: dict[str, str] = {}
    missing = []
    for code, contradiction in report.contradictions:
        if code not in cards:
            cards[code] = card.facts(translator, by_code[code], today)
        if contradiction.words[:60] not in cards[code]:
            missing.append((code, contradiction.words))
    return missing


def run_show(args: argparse.Namespace) -> int:
    """Print one procedure (or its full record with ``--json``)."""
    try:
        procedures = load_knowledge_base(args.kb)
    except (OSError, KnowledgeBaseFormatError) as exc:
        print(
            f"Không đọc được cơ sở dữ liệu / cannot read the knowledge base: {exc}", file=sys.stderr
        )
        return 1
    found = next((p for p in procedures if p.code == args.code.strip()), None)
    if found is None:
        print(
            f"Không tìm thấy thủ tục mã {args.code!r}. / No procedure with code {args.code!r}.",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(procedure_to_dict(found), ensure_ascii=False, indent=2))
    else:
        print(render(found, args.section))
    return 0


_KIND_NAMES = {
    ChannelKind.ONLINE: "Trực tuyến",
    ChannelKind.IN_PERSON: "Trực tiếp",
    ChannelKind.POST: "Qua bưu chính",
}
_UNIT_NAMES = {
    "working_days": "ngày làm việc",
    "days": "ngày",
    "hours": "giờ",
    "months": "tháng",
    "years": "năm",
    "weeks": "tuần",
    "minutes": "phút",
}


def render(p: Procedure, section: str | None = None) -> str:
    """A procedure as a citizen reads it, with Vietnamese headings; one section if asked."""
    chosen = [section] if section else list(SECTIONS)
    parts = ["\n".join(lines) for name in chosen if (lines := SECTIONS[name](p))]
    return "\n\n".join(parts)


def _summary(p: Procedure) -> list[str]:
    lines = [f"{p.name}", f"Mã thủ tục: {p.code}"]
    if p.levels:
        lines.append(f"Cấp thực hiện: {', '.join(p.levels)}")
    if p.field:
        lines.append(f"Lĩnh vực: {p.field}")
    if p.agencies:
        lines.append(f"Cơ quan thực hiện: {'; '.join(p.agencies)}")
    if p.ministry:
        lines.append(f"Cơ quan ban hành: {p.ministry}")
    if p.catalogue_only:
        lines.append(
            "Chỉ có trong danh mục thủ tục của Cổng: chưa có danh sách giấy tờ, phí và thời hạn."
            " / Known from the portal's catalogue only: no papers, fees or times."
        )
    if p.online is OnlineFiling.FULL:
        lines.append("Nộp trực tuyến: toàn trình")
    elif p.online is OnlineFiling.PARTIAL:
        lines.append("Nộp trực tuyến: một phần")
    return lines


def _where(p: Procedure) -> list[str]:
    """Where to hand the dossier in and who decides: stored, and worth showing."""
    lines = []
    if p.address:
        lines.append(f"Nơi tiếp nhận hồ sơ: {p.address}")
    if p.authority:
        lines.append(f"Cơ quan có thẩm quyền quyết định: {p.authority}")
    return lines


def _channels(p: Procedure) -> list[str]:
    if not p.channels:
        return []
    lines = ["Cách thức nộp:"]
    for c in p.channels:
        lines.append(f"  - {_channel(c)}")
        if c.description:
            lines.append(f"    {c.description}")
    return lines


def _documents(p: Procedure) -> list[str]:
    lines: list[str] = []
    for group in p.documents:
        if group.case:
            heading = f"Trường hợp riêng (chỉ khi đúng với bạn) — {group.title}:"
        else:
            heading = f"Giấy tờ phải nộp{' — ' + group.title if group.title else ''}:"
        lines += ["", heading]
        lines += [f"  {n}. {_document(doc)}" for n, doc in enumerate(group.documents, start=1)]
    if p.present_documents:
        lines += ["", "Giấy tờ phải xuất trình:"]
        lines += [f"  {n}. {_document(doc)}" for n, doc in enumerate(p.present_documents, start=1)]
    return lines[1:]


def _notes(p: Procedure) -> list[str]:
    return ["Lưu ý:", *(f"  - {note}" for note in p.notes)] if p.notes else []


def _steps(p: Procedure) -> list[str]:
    if not p.steps:
        return []
    return ["Trình tự thực hiện:", *(f"  {i}. {step}" for i, step in enumerate(p.steps, 1))]


def _conditions(p: Procedure) -> list[str]:
    return ["Điều kiện:", str(p.conditions)] if p.conditions else []


def _result(p: Procedure) -> list[str]:
    return [f"Kết quả: {p.result}"] if p.result else []


def _legal(p: Procedure) -> list[str]:
    if not p.legal_basis:
        return []
    return [
        "Căn cứ pháp lý:",
        *(f"  - {b.title}{f' ({b.code})' if b.code else ''}" for b in p.legal_basis),
    ]


def _source(p: Procedure) -> list[str]:
    return [f"Nguồn: {p.source_url or _export_source(p)}"]


SECTIONS: dict[str, Callable[[Procedure], list[str]]] = {
    "summary": _summary,
    "where": _where,
    "channels": _channels,
    "documents": _documents,
    "notes": _notes,
    "steps": _steps,
    "conditions": _conditions,
    "result": _result,
    "legal": _legal,
    "source": _source,
}
"""``kb show`` sections in reading order; ``--section NAME`` prints one."""


def _export_source(p: Procedure) -> str:
    """Document-export records have no page link, only the portal's export file name."""
    source_file = p.extra.get("source_file")
    portal = "Cổng Dịch vụ công quốc gia (dichvucong.gov.vn)"
    return f"{portal}, {source_file}" if source_file else portal


def _channel(c: Channel) -> str:
    return f"{_KIND_NAMES[c.kind]}: thời hạn {_duration(c.time)}; phí, lệ phí: {_fee(c.fee)}"


def _duration(d: Duration | None) -> str:
    if d is None:
        return "không có thông tin"
    if d.value is None:
        return d.text
    value = format_decimal(d.value, locale="vi_VN")
    if d.unit is None:
        return f"{value} (cổng không ghi đơn vị)"
    return f"{value} {_UNIT_NAMES.get(d.unit, d.unit)}"


def _fee(f: Fee | None) -> str:
    if f is None:
        return "không có thông tin"
    if f.amount is None or (f.amount == 0 and fold(f.text).startswith("mien phi")):
        return f.text
    return f"{format_decimal(f.amount, locale='vi_VN')} đồng — {f.text}"


def _document(d: Document) -> str:
    counts = []
    if d.originals:
        counts.append(f"{d.originals} bản chính")
    if d.copies:
        counts.append(f"{d.copies} bản sao")
    suffix = f" [{', '.join(counts)}]" if counts else ""
    template = f" (mẫu: {d.template})" if d.template else ""
    return f"{d.name}{suffix}{template}"
