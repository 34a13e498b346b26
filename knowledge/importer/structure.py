"""Turning a document table's rows into structure: headings, cases, notes and papers.

The portal types everything it wants to say about a dossier into one table, so a row can be a
paper, a heading ("* Giấy tờ phải nộp:", "Trường hợp ủy quyền, hồ sơ gồm:"), a remark ("Lưu ý:
...", a row counted "0 bản chính"), a case glued to its paper ("Đối với Quân đội nhân dân: Giấy
giới thiệu ..."), a paper with its template file glued on ("...theo mẫumau so 20.doc"), or a
paper followed by pages of explanation. Every importer (page crawl, document export, portal API)
hands its rows to :func:`arrange`, so what a citizen is asked to bring is always a paper, and
the rest becomes group titles, cases, notes or a paper's details.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from knowledge.importer.cells import TEMPLATE_FILE
from knowledge.model import Document, DocumentGroup
from knowledge.text import fold, normalize_text

NAME_CHARS = 500
"""A paper's name is cut to its first sentence (at most this long); the rest is its details."""

# Numbering before a heading or case: "a)", "a.1.2)", "1.", "4.2.", "(i)", "-", "*", "+".
_NUMBERING = re.compile(
    r"^(?:[-*+•]\s*)*(?:\(?(?:[a-zđ]|\d{1,2}|[ivx]{1,4})(?:\.\d{1,2})*[.)]\s+)?"
)
_CASE = re.compile(r"^(?:truong hop|doi voi|neu|khi)\b")
_GENERAL = re.compile(
    r"^(?:cac )?(?:giay to|thanh phan ho so|ho so|tai lieu)(?: (?:phai nop|can nop|de nghi))?"
    r"(?: (?:bao )?gom(?: (?:co|cac (?:giay to|tai lieu|noi dung)(?: sau)?))?)?$"
)
_PRESENT = re.compile(
    r"^(?:cac )?giay to (?:phai )?xuat trinh|xuat trinh (?:cac|mot trong (?:cac|nhung)) giay to"
)
_NOTES = re.compile(r"^(?:luu y|ghi chu|chu y)\b")
# A paper's name starts with what it is; a row ending in ":" that starts so is a paper that
# introduces its contents ("Đơn đề nghị ... của Thương nhân:"), not a heading.
_PAPER = re.compile(
    r"^(?:ban|bao cao|bien ban|chung cu|chung tu|chung chi|chung nhan|danh (?:sach|muc)|de an"
    r"|don|giay|hop dong|ke hoach|phieu|phuong an|quyet dinh|so |the |to khai|to trinh|van ban"
    r"|van bang|mau|anh|hoa don|du an|ho chieu|can cuoc|trich luc)\b"
)
# A heading without its colon: "(i) Thành phần hồ sơ do tổ chức tín dụng lập gồm".
_INTRO = re.compile(r"^(?:thanh phan )?ho so\b.{0,120}\b(?:gom|nhu sau|sau)$")
# A list's heading glued before its first paper: "Thành phần hồ sơ: 1. Bản khai ...".
_LIST_PREFIX = re.compile(
    r"^(?:\*\s*)?(?:\(?[a-z\d]{1,2}[.)]\s*)?(?:Thành phần hồ sơ|Hồ sơ|Giấy tờ phải nộp)"
    r"(?:\s+(?:bao\s+)?gồm)?\s*:\s*(?:\(?[a-z]?\d{0,2}[.)]\s*)?(?=\w)",
    re.IGNORECASE,
)
# A heading glued before the list it introduces, in one row.
_GLUED_INTRO = re.compile(
    r"^(?P<head>.{0,200}?\b(?:gồm|sau))\s*:\s*[-+•]?\s*(?P<rest>\w.*)$", re.S | re.IGNORECASE
)
# A case glued to its paper: "Đối với Quân đội nhân dân: Giấy giới thiệu ...".
_GLUED_CASE = re.compile(r"^(?P<case>[^:]{8,200}?)\s*:\s*[-+]?\s*(?P<paper>\w.*)$", re.S)
# A conditional paper: "Trường hợp trẻ em bị bỏ rơi thì phải có biên bản ...".
_CONDITION_END = re.compile(r"\s(?:thì|phải|cần)\s")
# Where a first sentence or list item ends: ". Sau", "; - ", ": - " (the next part is checked
# to start with a capital or a bullet).
_SENTENCE_END = re.compile(r"(?<=[^\s\d.][.;:])\s+(?=[-+*•]?\s*\w)|\s+(?=[-+•]\s)")
_FORM = re.compile(r"^(?:to khai|don |mau |phieu (?:de nghi|dang ky|yeu cau))")
# A Vietnamese syllable, folded: onset, vowels, final.  Two glued syllables are not one.
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?"
)


class Kind:
    """What a row is."""

    PAPER = "paper"
    HEADING = "heading"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Block:
    """One table as an importer found it: the heading above it and its rows."""

    heading: str
    rows: Sequence[Document]


@dataclass(frozen=True, slots=True)
class Arranged:
    """A procedure's papers as structure."""

    groups: tuple[DocumentGroup, ...]
    present: tuple[Document, ...]
    notes: tuple[str, ...]


def bare(text: str) -> str:
    """A heading or name folded, without bullets, numbering and the trailing colon."""
    folded = fold(normalize_text(text))
    return _NUMBERING.sub("", folded).strip(" :;.*-+").strip()


def is_case_title(title: str) -> bool:
    """Whether a title describes a case that applies to some citizens only."""
    return bool(_CASE.match(bare(title)))


def is_general_heading(text: str) -> bool:
    """The list everyone brings: "* Giấy tờ phải nộp:", "Thành phần hồ sơ gồm:", "Hồ sơ gồm:"."""
    return bool(_GENERAL.match(bare(text)))


def is_present_heading(text: str) -> bool:
    """Papers shown at the counter: "* Giấy tờ phải xuất trình:", "Người yêu cầu chứng thực
    phải xuất trình các giấy tờ sau"."""
    return bool(_PRESENT.search(bare(text)))


def is_notes_heading(text: str) -> bool:
    """ "Lưu ý", "Ghi chú": remarks, not papers."""
    return bool(_NOTES.match(bare(text)))


def kind(document: Document) -> str:
    """Whether a row is a paper, a heading, or a note."""
    name = normalize_text(document.name).rstrip()
    folded = bare(name)
    if is_notes_heading(name):
        return Kind.NOTE
    if is_general_heading(name) or is_present_heading(name) or _INTRO.search(folded):
        return Kind.HEADING
    if name.rstrip("* ").endswith(":"):
        return Kind.PAPER if _PAPER.match(folded) else Kind.HEADING
    if document.originals == 0 and not document.copies:
        return Kind.NOTE  # the portal counts its remarks "0 bản chính"
    return Kind.PAPER


def heading_title(text: str) -> str:
    """A heading as a group title: "" for the list everyone brings, else its words."""
    if is_general_heading(text) or is_present_heading(text):
        return ""
    return normalize_text(text).strip("-*+• ").rstrip(": ").strip()


@dataclass
class _Groups:
    """Groups as they fill up, in the order they were first seen."""

    order: list[tuple[str, bool]] = field(default_factory=list)
    papers: dict[tuple[str, bool], list[Document]] = field(default_factory=dict)

    def add(self, title: str, case: bool, document: Document) -> None:
        key = (title, case)
        if key not in self.papers:
            self.order.append(key)
            self.papers[key] = []
        self.papers[key].append(document)

    def build(self) -> tuple[DocumentGroup, ...]:
        """The general list first, then other titled lists, then the cases, each main form first."""
        keyed = sorted(self.order, key=lambda k: (k[1], k[0] != ""))
        return tuple(
            DocumentGroup(title, tuple(_forms_first(self.papers[(title, case)])), case=case)
            for title, case in keyed
        )


def arrange(blocks: Iterable[Block], notes: Iterable[str] = ()) -> Arranged:
    """Structure from tables: groups of papers (cases marked), papers to show, and notes.

    A table's heading sets the group its rows fall into; a heading row inside the table starts
    a new one. Titled tables are alternatives (each is a case) when a procedure has two or more
    of them; a title that says "Trường hợp ...", "Đối với ...", "Nếu ..." is a case anyway.
    """
    tables = list(blocks)
    titled = [b for b in tables if heading_title(b.heading) and not is_notes_heading(b.heading)]
    alternatives = len({heading_title(b.heading) for b in titled}) >= 2
    groups = _Groups()
    present: list[Document] = []
    remarks = [normalize_text(n) for n in notes]
    for block in tables:
        mode = _mode(block.heading)
        table_title = heading_title(block.heading)
        table_case = bool(table_title) and (alternatives or is_case_title(table_title))
        title, case = table_title, table_case
        for row in block.rows:
            glued = _glued_case(row) if mode != "notes" and not case else None
            if glued is not None:
                case_title, row = glued
                if kind(row) == Kind.HEADING:  # "Trường hợp kiểm định định kỳ: Giấy tờ phải nộp"
                    mode, title, case = _mode(row.name), case_title, True
                    continue
                if kind(row) == Kind.PAPER and mode == "documents":
                    groups.add(case_title, True, tidy(row))
                    continue
            row_kind = kind(row)
            if row_kind == Kind.HEADING and _leaves(mode, row.name):
                # A case heading opens that case; any other heading ("* Giấy tờ phải nộp:",
                # "... các giấy tờ sau:") goes back to the table's own list.
                mode = _mode(row.name)
                row_title = heading_title(row.name)
                is_case = is_case_title(row_title)
                title, case = (row_title, True) if is_case else (table_title, table_case)
            elif mode == "notes" or row_kind != Kind.PAPER:
                remarks.append(_remark(row))
            elif mode == "present":
                present.append(tidy(row))
            else:
                _place(groups, title, case, tidy(row))
    return Arranged(groups.build(), tuple(present), tuple(r for r in dict.fromkeys(remarks) if r))


def _leaves(mode: str, heading: str) -> bool:
    """Whether a heading row ends the current list; in a "Lưu ý" table only a list heading does
    ("Đối với việc đặt tên cho trẻ:" there is a remark that introduces more remarks)."""
    return mode != "notes" or is_general_heading(heading) or is_present_heading(heading)


def _mode(heading: str) -> str:
    if is_notes_heading(heading):
        return "notes"
    return "present" if is_present_heading(heading) else "documents"


def _remark(row: Document) -> str:
    return " ".join(part for part in (normalize_text(row.name), str(row.details)) if part)


def _glued_case(row: Document) -> tuple[str, Document] | None:
    """A case glued to what follows it: "Đối với Quân đội nhân dân: Giấy giới thiệu ..."."""
    if not is_case_title(row.name):
        return None
    glued = _GLUED_CASE.match(row.name)
    if glued is None or not glued["paper"][0].isupper() or _PAPER.match(bare(glued["case"])):
        return None
    paper = normalize_text(glued["paper"]).lstrip("-+ ")
    return _case_title(glued["case"]), replace(row, name=paper)


def _place(groups: _Groups, title: str, case: bool, row: Document) -> None:
    """A row into its group; a conditional paper ("Trường hợp X thì ...") into case X."""
    if not case and is_case_title(row.name):
        condition = _CONDITION_END.search(row.name)
        if condition and condition.start() <= NAME_CHARS:
            groups.add(_case_title(row.name[: condition.start()]), True, row)
            return
    groups.add(title, case, row)


def _case_title(text: str) -> str:
    title = normalize_text(text).strip("-*+• ,:")
    return title[:1].upper() + title[1:]


def _forms_first(documents: list[Document]) -> list[Document]:
    """The application form or declaration first: it is what the counter asks for first."""
    return sorted(documents, key=lambda d: not _FORM.match(bare(d.name)))


def tidy(document: Document) -> Document:
    """A paper with its glued template file detached and a long name cut to its first sentence."""
    name, template = document.name, document.template
    if template is None:
        name, template = detach_template(name)
    name = normalize_text(name).lstrip("-+*•.\uf0fc\uf0d8 ").rstrip(" ;,:").strip()
    name = _LIST_PREFIX.sub("", name, count=1) if _LIST_PREFIX.sub("", name, count=1) else name
    details = str(document.details)
    intro = _GLUED_INTRO.match(name)
    if intro and kind(Document(intro["head"])) == Kind.HEADING:
        # "(i) Thành phần hồ sơ do tổ chức tín dụng lập gồm: + Văn bản ...": the list is the paper
        name, details = intro["rest"], " ".join(p for p in (intro["head"] + ":", details) if p)
    if len(name) > NAME_CHARS:
        name, rest = short_name(name)
        details = " ".join(part for part in (rest, details) if part)
    return replace(document, name=name, template=template, details=details)


def short_name(text: str) -> tuple[str, str]:
    """A long paper's name: its first sentence or list item (at most :data:`NAME_CHARS`).

    Returns the name and the rest of the text; when no sentence ends early enough the name is
    cut at a word and the whole text is kept as the details, so nothing the portal says is lost.
    """
    for match in _SENTENCE_END.finditer(text, 20):
        if match.start() > NAME_CHARS:
            break
        following = text[match.end() :].lstrip("-+*• ")
        if not following[:1].isupper() and text[match.end()] not in "-+•":
            continue
        head = text[: match.start()].rstrip(" ;:")
        return head, text[match.end() :].strip()
    head = text[:NAME_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:-(")
    return f"{head}…", text


def detach_template(name: str) -> tuple[str, str | None]:
    """A template file name glued to the end of a paper's name, split off.

    The file starts inside the first token that is two syllables run together
    ("...theo mẫu quy địnhbáo cáo.docx", "...hết hạnmau so 20.doc") or a word run into a number
    ("...năm 2026Mẫu số 11.docx", "...quy định1.4. Don de nghi.docx").
    """
    files = list(TEMPLATE_FILE.finditer(name))
    if not files or files[-1].end() != len(name.rstrip()):
        return name, None
    end = files[0].start()
    tokens = list(re.finditer(r"\S+", name[:end]))
    for token in tokens[-30:]:
        cut = _glued_at(token.group())
        if cut is not None:
            at = token.start() + cut
            return name[:at], normalize_text(name[at:])
    return name, None


def _glued_at(token: str) -> int | None:
    """Where a second word starts inside a token that is two run together, else None."""
    for i in range(2, len(token)):
        before, here = token[i - 1], token[i]
        number = before == "." and token[i - 2].isdigit() and here.isdigit()
        sentence = before == "." and token[i - 2].isalnum() and not number
        if (sentence or before == ";") and here.isalnum():
            return i  # "...NĐ-CP;Mẫu số 09", "...năm 2026.Mau 1b", "...luật sư.6. TP-LS"
        if before.islower() and here.isupper():
            return i  # "...nhập khẩuMau 03 TS", "...thương mạiĐĐN"
        following = token[i + 1 : i + 2]
        if before.isupper() and here.isupper() and following.islower() and following != "g":
            return i  # "...NĐ-CPĐơn đăng ký" (not "QĐ-TTg")
        if fold(token[i : i + 3]) == "mau" and token[i : i + 3].isupper() and before.isupper():
            return i  # "...TT-BTCMẪU Phụ lục III"
    for i in range(1, len(token)):
        before, here = token[i - 1], token[i]
        if before.isalpha() and here.isdigit() and i >= 3:
            return i
        if before.isdigit() and here.isalpha() and here.isupper() and i >= 4:
            return i
    letters = fold(re.match(r"[^\W\d_]*", token).group())  # type: ignore[union-attr]
    if len(letters) < 4 or not letters.islower() or _SYLLABLE.fullmatch(letters):
        return None
    for i in range(len(letters) - 1, 0, -1):
        if _SYLLABLE.fullmatch(letters[:i]) and _SYLLABLE.match(letters[i:]):
            return i
    return None
