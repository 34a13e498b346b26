"""The knowledge-base file: procedures as versioned, deterministic gzip JSON.

The bot ships ``knowledge/data/kb.json.gz`` (built by ``motcua kb import``) and loads it at start.
Writing the same procedures twice gives the same bytes (sorted by code, no timestamp, gzip mtime
0), so a re-import of unchanged sources changes nothing in the repository.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, TypeVar

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
from knowledge.packed import PackedText, PackedTexts, pack

FORMAT = 1
PACKED = frozenset({"steps", "conditions", "description", "details"})
"""Fields kept compressed (``knowledge.packed``): their texts are not shared, as nothing
keeps them once packed (equal packed texts are)."""
T = TypeVar("T")
DEFAULT_PATH = "kb.json.gz"


class KnowledgeBaseFormatError(ValueError):
    """The file is not a knowledge base this version can read."""


def default_path() -> Path:
    """Where the shipped knowledge base lives (package data of ``knowledge.data``)."""
    return Path(str(resources.files("knowledge.data").joinpath(DEFAULT_PATH)))


def procedure_to_dict(p: Procedure) -> dict[str, Any]:
    """A JSON-ready dict of a procedure (the shape ``kb show --json`` prints)."""
    return {
        "code": p.code,
        "name": p.name,
        "levels": list(p.levels),
        "field": p.field,
        "applicants": list(p.applicants),
        "agencies": list(p.agencies),
        "authority": p.authority,
        "address": p.address,
        "channels": [_channel_to_dict(c) for c in p.channels],
        "documents": [
            {
                "title": g.title,
                "case": g.case,
                "documents": [_document_to_dict(d) for d in g.documents],
            }
            for g in p.documents
        ],
        "present_documents": [_document_to_dict(d) for d in p.present_documents],
        "steps": list(p.steps),
        "conditions": str(p.conditions),
        "result": p.result,
        "legal_basis": [{"title": b.title, "code": b.code} for b in p.legal_basis],
        "online": p.online.value if p.online else None,
        "source_url": p.source_url,
        "decision": p.decision,
        "ministry": p.ministry,
        "extra": dict(sorted(p.extra.items())),
        "notes": list(p.notes),
        # Written only for catalogue entries: detailed records keep the shape they always had.
        **({"catalogue_only": True} if p.catalogue_only else {}),
    }


class Share(Protocol):
    """Maps an immutable value to the one equal copy kept (or to itself)."""

    def __call__(self, value: T, /) -> T: ...


def _as_is(value: T, /) -> T:
    return value


def procedure_from_dict(d: Mapping[str, Any], share: Share = _as_is) -> Procedure:
    """The procedure a :func:`procedure_to_dict` dict describes.

    ``share`` is given each part built (a channel, a fee, a paper, a legal basis, a tuple of
    names), so a reader of many procedures keeps one copy of the parts they have in common.
    """
    return Procedure(
        code=d["code"],
        name=d["name"],
        levels=share(tuple(d.get("levels", ()))),
        field=d.get("field", ""),
        applicants=share(tuple(d.get("applicants", ()))),
        agencies=share(tuple(d.get("agencies", ()))),
        authority=d.get("authority", ""),
        address=d.get("address", ""),
        channels=share(tuple(_channel_from_dict(c, share) for c in d.get("channels", ()))),
        documents=tuple(
            DocumentGroup(
                g["title"],
                tuple(share(_document_from_dict(x, share)) for x in g["documents"]),
                case=bool(g.get("case", False)),
            )
            for g in d.get("documents", ())
        ),
        present_documents=tuple(
            share(_document_from_dict(x, share)) for x in d.get("present_documents", ())
        ),
        steps=PackedTexts(d.get("steps", ())),
        conditions=share(pack(d.get("conditions", ""))),
        result=d.get("result", ""),
        legal_basis=share(
            tuple(share(LegalBasis(b["title"], b["code"])) for b in d.get("legal_basis", ()))
        ),
        online=OnlineFiling(d["online"]) if d.get("online") else None,
        source_url=d.get("source_url", ""),
        decision=d.get("decision", ""),
        ministry=d.get("ministry", ""),
        extra=dict(d.get("extra", {})),
        notes=tuple(d.get("notes", ())),
        catalogue_only=bool(d.get("catalogue_only", False)),
    )


def _channel_to_dict(c: Channel) -> dict[str, Any]:
    time = c.time and {"value": c.time.value, "unit": c.time.unit, "text": c.time.text}
    fee = c.fee and {"amount": c.fee.amount, "text": c.fee.text}
    return {"kind": c.kind.value, "time": time, "fee": fee, "description": str(c.description)}


def _channel_from_dict(d: Mapping[str, Any], share: Share) -> Channel:
    t, f = d.get("time"), d.get("fee")
    return share(
        Channel(
            kind=ChannelKind(d["kind"]),
            time=share(Duration(t["value"], t["unit"], t["text"])) if t else None,
            fee=share(Fee(f["amount"], f["text"])) if f else None,
            description=share(pack(d.get("description", ""))),
        )
    )


def _document_to_dict(doc: Document) -> dict[str, Any]:
    return {
        "name": doc.name,
        "originals": doc.originals,
        "copies": doc.copies,
        "template": doc.template,
        "details": str(doc.details),
    }


def _document_from_dict(d: Mapping[str, Any], share: Share) -> Document:
    details = share(pack(d.get("details", "")))
    return Document(d["name"], d.get("originals"), d.get("copies"), d.get("template"), details)


def encode_knowledge_base(procedures: Iterable[Procedure]) -> bytes:
    """The file's bytes: gzip (mtime 0) of ``{"format": 1, "procedures": [...]}`` sorted by code."""
    ordered = sorted(procedures, key=lambda p: p.code)
    document = {"format": FORMAT, "procedures": [procedure_to_dict(p) for p in ordered]}
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(payload)
    return buffer.getvalue()


def save_knowledge_base(procedures: Iterable[Procedure], path: str | Path) -> None:
    """Write the knowledge base atomically (a reader never sees half a file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_bytes(encode_knowledge_base(procedures))
    tmp.replace(target)


def load_knowledge_base(path: str | Path | None = None) -> tuple[Procedure, ...]:
    """Every procedure in the knowledge base (the shipped one by default), sorted by code.

    Raises:
        FileNotFoundError: there is no file at ``path``.
        KnowledgeBaseFormatError: the file is not a knowledge base of a known format.
    """
    source = Path(path) if path is not None else default_path()
    return decode_knowledge_base(source.read_bytes(), str(source))


def decode_knowledge_base(data: bytes, source: str = "knowledge base") -> tuple[Procedure, ...]:
    """The procedures in a knowledge base's bytes (``encode_knowledge_base``'s inverse).

    Each procedure becomes a ``Procedure`` as soon as the parser has read it, and every string
    is kept once (the same agency, fee text or legal title recurs thousands of times): the
    parsed dicts of the whole file never exist at the same time, so a worker does not keep the
    memory they took (about half of what it would hold otherwise).

    Raises:
        KnowledgeBaseFormatError: the bytes are not a knowledge base of a known format.
    """
    try:
        document = json.loads(gzip.decompress(data), object_hook=_Reader())
    except (OSError, EOFError, ValueError, KeyError, TypeError) as exc:
        raise KnowledgeBaseFormatError(f"{source}: not a knowledge-base file ({exc})") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        raise KnowledgeBaseFormatError(f"{source}: format {found!r}, expected {FORMAT}")
    return tuple(document["procedures"])


class _Reader:
    """The JSON parser's ``object_hook``: keeps one copy of each repeated value, builds each
    procedure.

    The parser calls it for every object, innermost first; a procedure's object is the one
    with a ``source_url`` (``procedure_to_dict`` always writes it, no other object has it).
    """

    def __init__(self) -> None:
        self._kept: dict[Any, Any] = {}
        self._packed: dict[Any, Any] = {}

    def share(self, value: T, /) -> T:
        """The copy kept of ``value`` (``value`` itself the first time).

        Packed texts are kept apart: one equals its string, and a name equal to some paper's
        details must stay a string.
        """
        kept: T = (self._packed if isinstance(value, PackedText) else self._kept).setdefault(
            value, value
        )
        return kept

    def __call__(self, obj: dict[str, Any]) -> Any:
        for key, value in obj.items():
            if key in PACKED:
                continue  # packed, then shared, by ``procedure_from_dict``
            if isinstance(value, str):
                obj[key] = self.share(value)
            elif isinstance(value, list):
                obj[key] = [self.share(v) if isinstance(v, str) else v for v in value]
        return procedure_from_dict(obj, self.share) if "source_url" in obj else obj
