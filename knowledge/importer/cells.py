"""Parsers for single portal table cells: times, fees, copy counts, legal codes, templates.

The portal renders its tables with no separator between cells, so each parser here knows the
exact shape of one cell and where it stops; the section parsers cut rows with them.
"""

from __future__ import annotations

import re

from knowledge.model import Duration, Fee
from knowledge.text import fold, normalize_text

NO_INFO = "Không có thông tin"

_UNITS = {
    "ngay lam viec": "working_days",
    "ngay": "days",
    "gio": "hours",
    "thang": "months",
    "nam": "years",
    "tuan": "weeks",
    "phut": "minutes",
}

# A time cell: a number with its unit, a bare number (the unit got lost), or "no information".
TIME = r"\d+(?:[.,]\d+)?(?: (?:Ngày làm việc|Ngày|Giờ|Tháng|Năm|Tuần|Phút))?"
_TIME_PARTS = re.compile(r"(?P<value>\d+(?:[.,]\d+)?)\s*(?P<unit>\D.*)?")

# An amount as the fee column writes it ("20,000" or "1,500,000") with its currency.
AMOUNT = r"(?:0|[1-9]\d{0,2}(?:,\d{3})*|[1-9]\d*)"
CURRENCY = r"(?:Việt Nam Đồng|VNĐ|Đồng|đồng|USD)"
_FEE_AMOUNT = re.compile(rf"(?P<amount>{AMOUNT})? ?(?P<currency>{CURRENCY})")

# Amounts written in running text: "135.000 đồng", "20.000 vnđ", "50.000đ".
_TEXT_AMOUNT = re.compile(
    r"(?<![\d.,])(?P<amount>\d{1,3}(?:\.\d{3})+|\d+)\s*(?:đồng|vnđ|vnd|đ)(?![a-zà-ỹ])",
    re.IGNORECASE,
)

# The "Số lượng" cell: "1 bản chính", "0 bản chính,1 bản sao", "1 bản sao".
# A count glued to digits of the name ("...năm 20161 bản chính") is its last digit.
_N = r"(?:(?<!\d)\d{1,2}|(?<=\d)\d)"
COUNT = re.compile(
    rf"(?:(?P<originals>{_N}) bản chính(?:,\s?(?P<copies>\d+) bản sao)?"
    rf"|(?P<only_copies>{_N}) bản sao)"
)

# A legal document code: "123/2015/NĐ-CP", "66.7/2025/NQ-CP", "60/2014/QH13", "12/2021/QĐ-TTg",
# and the yearless decisions of agencies ("2222/QĐ-BHXH").
# The issuer that ends a code is matched from the list of issuers first, because the next cell
# is glued to it ("...TT-BTCQuy định...", "...NĐ-CPsửa đổi..."); unknown issuers fall back to
# a run of capitals, short of a capital that starts the next title ("...NĐ-CQuy định").
_ISSUERS = [
    "BLĐTBXH",
    "BNNPTNT",
    "BVHTTDL",
    "UBTVQH",
    "BGDĐT",
    "BKHĐT",
    "BGTVT",
    "BTNMT",
    "BKHCN",
    "BTTTT",
    "TANDTC",
    "VKSNDTC",
    "BNNMT",
    "NHNN",
    "LLTP",
    "UBND",
    "BHXH",
    "HĐND",
    "BCA",
    "BTC",
    "BTP",
    "BQP",
    "BXD",
    "BYT",
    "BCT",
    "BNG",
    "BNV",
    "BDT",
    "VPCP",
    "TTg",
    "TTG",
    "CP",
    "NĐ",
]
_FINAL = "(?:" + "|".join(["UBTVQH\\d{2}", "QH\\d{2}", "C\\d{2}", *_ISSUERS]) + "|[A-ZĐ]+(?![a-z]))"
LEGAL_CODE = rf"\d+(?:\.\d+)?/(?:\d{{4}}/)?(?:[A-ZĐ]+\d{{0,2}}[-/])*{_FINAL}"

# A template file name ending a document row; several can follow each other.
TEMPLATE_FILE = re.compile(r"\.(?:docx?|pdf|xlsx?|DOCX?|PDF)")


def duration(text: str) -> Duration | None:
    """A processing time cell; None when the portal has no information.

    A bare number keeps ``unit=None`` (the portal lost it) instead of guessing days.
    """
    text = normalize_text(text)
    if not text or text == NO_INFO:
        return None
    match = _TIME_PARTS.fullmatch(text)
    if not match:
        return Duration(None, None, text)
    value = float(match["value"].replace(",", "."))
    unit_text = match["unit"]
    unit = _UNITS.get(fold(unit_text).strip()) if unit_text else None
    return Duration(value, unit, text)


def text_amount(text: str) -> int | None:
    """The one amount in đồng a text states explicitly ("135.000 đồng"), else None.

    Several different amounts (a fee table in prose) give None: which one applies is for the
    citizen to read, not for the importer to guess.
    """
    amounts = _text_amounts(text)
    return amounts.pop() if len(amounts) == 1 else None


def _text_amounts(text: str) -> set[int]:
    return {int(m["amount"].replace(".", "")) for m in _TEXT_AMOUNT.finditer(text)}


_UNIT_AFTER = re.compile(r"(\S+)\s*(?:Việt Nam Đồng|VNĐ|Đồng)(?=\s*(?:$|[-–();:,.]))")
"""A currency unit and the word before it, at the end of a phrase."""

_COUNTED = frozenset(("tram", "nghin", "ngan", "trieu", "ty", "nam"))
"""Words a unit after them belongs to: the end of an amount written out ("50 nghìn Đồng"), and
"Việt Nam Đồng" itself."""


def unglued_unit(text: str) -> str:
    """``text`` without the currency unit the portal's templates glue after a cell that holds
    no amount: "Miễn phí Đồng" is "Miễn phí", "Phí : Không Đồng" "Phí : Không", "400.000
    đ/lần Đồng" "400.000 đ/lần"; "7,000 Đồng", "15000000/lần Đồng", "50 nghìn Đồng" and an
    empty "Phí : Đồng" keep theirs."""

    def kept(match: re.Match[str]) -> str:
        word = match.group(1)
        worded = any(ch.isalpha() for ch in word) and not any(ch.isdigit() for ch in word)
        if not worded or len(word) < 2 or fold(word) in _COUNTED:  # "o Đồng": a mistyped 0
            return match.group()
        return word

    return _UNIT_AFTER.sub(kept, text)


def fee(cell: str, note: str = "") -> Fee | None:
    """A fee from its cell ("Miễn phí", "20,000 Việt Nam Đồng", ...) and the note beside it.

    The amount is the cell's, except where the note states one explicit amount and the cell
    does not really give one: a "Miễn phí" or empty cell beside "135.000 đồng/lần", or a cell
    in thousands ("20 VNĐ") beside "20.000 đồng/tờ khai". A note with several amounts leaves
    a free cell without an amount: which one applies is for the citizen to read.
    """
    cell, note = unglued_unit(normalize_text(cell)), unglued_unit(normalize_text(note))
    if (not cell or cell == NO_INFO) and not note:
        return None
    text = f"{cell} ({note})" if cell and note else cell or note
    stated = _text_amounts(note)
    priced = [m for m in _FEE_AMOUNT.finditer(cell) if m["amount"]]
    if any(m["currency"] == "USD" for m in priced):
        return Fee(None, text)  # a foreign-currency fee has no amount in đồng
    cell_amounts = {_cell_amount(m["amount"]) for m in priced}
    cell_amount = cell_amounts.pop() if len(cell_amounts) == 1 else None
    if len(stated) == 1:
        explicit = next(iter(stated))
        if cell_amount is None or cell_amount * 1000 == explicit:
            return Fee(explicit, text)
    elif stated and fold(cell).startswith("mien phi"):
        return Fee(None, text)
    if fold(cell).startswith("mien phi"):
        return Fee(0, text)
    return Fee(cell_amount, text)


def _cell_amount(raw: str) -> int:
    return int(raw.replace(",", ""))


def counts(match: re.Match[str]) -> tuple[int | None, int | None]:
    """Originals and copies from a :data:`COUNT` match (None where the cell does not say)."""
    if match["only_copies"] is not None:
        return None, int(match["only_copies"])
    copies = match["copies"]
    return int(match["originals"]), int(copies) if copies is not None else None


def split_templates(row: str) -> tuple[str, str | None]:
    """A document row's name and the template file names glued to its end.

    The "Mẫu đơn, tờ khai" cell holds file names ("Tờ khai CT01.docx"). The first one starts
    where the name cell ends: the first letter or digit glued to the previous cell's last
    character (a lowercase letter or closing punctuation, or a capital followed by a lowercase
    letter as in "...nhóm IVMau 36.doc").
    """
    files_found = list(TEMPLATE_FILE.finditer(row))
    ends = [m.end() for m in files_found]
    if not ends or ends[-1] != len(row):
        return row, None
    start = _template_start(row, files_found[0].start(), ends[-1])
    if start is None:
        return row, None
    files = []
    begin = start
    for end in ends:
        if end > start:
            files.append(row[begin:end].strip())
            begin = end
    return row[:start], "; ".join(f for f in files if f)


_CLOSERS = set(")];:,”\"'")


def _glued(row: str, i: int) -> bool:
    """Whether a new cell can start at ``row[i]``.

    It can at a capital or digit glued to the previous cell's end ("...theo mẫuTK01",
    "...Công an)Mẫu"), at any letter glued after ")", ";" or a full stop, or at a capital
    followed by a lowercase letter after another capital ("...nhóm IVMau 36").
    """
    before, here = row[i - 1], row[i]
    after_sentence = before == "." and i >= 2 and not row[i - 2].isdigit()
    if (before in ");" or after_sentence) and here.isalpha():
        return True  # "...(nếu có)mẫu số 1.docx", "...theo mẫu;văn bản.docx", "...CP.mau 13.doc"
    if not (here.isupper() or here.isdigit()) or row[i - 1 : i + 2] == "TTg":
        return False  # "QĐ-TTg" is the Prime Minister's code, not a boundary
    if before.islower() or before in _CLOSERS:
        return True
    if before == ".":
        # "1.2" is a number; "...ngày 27/12/2021.Mus09.docx" is a boundary.
        return i >= 2 and not (here.isdigit() and row[i - 2].isdigit())
    return before.isupper() and i + 1 < len(row) and row[i + 1].islower()


def _template_start(row: str, first_extension: int, limit: int) -> int | None:
    """The earliest glued cell boundary whose tail is made only of file names."""
    for start in range(1, first_extension):
        if not _glued(row, start) or not any(ch.isalnum() for ch in row[:start]):
            continue  # not a boundary, or one that would leave the name empty
        tail = row[start:limit]
        if COUNT.search(tail) or "\n" in tail:
            continue
        if _plausible_files(tail):
            return start
    return None


def _plausible_files(tail: str) -> bool:
    """File names are short, never sentences, and cannot hold a "/" (as legal codes do)."""
    parts = [p for p in TEMPLATE_FILE.split(tail) if p.strip()]
    return all(len(p) <= 160 for p in parts) and not re.search(r"[.;:]\s|/", tail)
