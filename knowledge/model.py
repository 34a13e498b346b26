"""The procedure model shared by the importer, the search index and the dialogs.

Every record comes from the National Public Service Portal; fields keep what the portal says and
mark what it does not say (``None``) instead of guessing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from knowledge.packed import Text


class ChannelKind(StrEnum):
    """How a dossier can be handed in."""

    ONLINE = "online"
    IN_PERSON = "in_person"
    POST = "post"


class OnlineFiling(StrEnum):
    """How much of the procedure the portal lets a citizen do online."""

    FULL = "full"  # "toàn trình"
    PARTIAL = "partial"  # "một phần"


@dataclass(frozen=True, slots=True)
class Duration:
    """A processing time. ``unit`` is None when the portal lost it (a bare "1")."""

    value: float | None
    unit: str | None  # "working_days", "days", "hours", "months", "years", or None = unit missing
    text: str


@dataclass(frozen=True, slots=True)
class Fee:
    """A fee: ``amount`` in đồng where the portal states one, always with the portal's text."""

    amount: int | None
    text: str


@dataclass(frozen=True, slots=True)
class Channel:
    """One submission channel with its own processing time and fee."""

    kind: ChannelKind
    time: Duration | None
    fee: Fee | None
    # A string from the importer; read from the file, long ones are ``knowledge.packed``'s.
    description: Text = ""


@dataclass(frozen=True, slots=True)
class Document:
    """One paper in a dossier."""

    name: str
    originals: int | None = None
    copies: int | None = None
    template: str | None = None
    # What the portal says about the paper beyond its name (sub-items, explanations); read from
    # the file, long ones are kept packed (``knowledge.packed``).
    details: Text = ""


@dataclass(frozen=True, slots=True)
class DocumentGroup:
    """Documents that apply together: the general list, or one case ("Trường hợp ...")."""

    title: str  # "" for the documents everyone brings
    documents: tuple[Document, ...]
    case: bool = False  # papers only some citizens bring: one of alternative situations


@dataclass(frozen=True, slots=True)
class LegalBasis:
    """A legal document the procedure rests on."""

    title: str
    code: str | None


@dataclass(frozen=True, slots=True)
class Procedure:
    """One administrative procedure (thủ tục hành chính) as the bot knows it."""

    code: str
    name: str
    levels: tuple[str, ...] = ()
    field: str = ""
    applicants: tuple[str, ...] = ()
    agencies: tuple[str, ...] = ()
    authority: str = ""
    address: str = ""
    channels: tuple[Channel, ...] = ()
    documents: tuple[DocumentGroup, ...] = ()
    present_documents: tuple[Document, ...] = ()
    # A tuple from the importer; read from the file, ``knowledge.packed.PackedTexts``.
    steps: Sequence[str] = ()
    conditions: Text = ""  # packed when long, like a channel's description
    result: str = ""
    legal_basis: tuple[LegalBasis, ...] = ()
    online: OnlineFiling | None = None
    source_url: str = ""
    decision: str = ""
    ministry: str = ""
    # ``dataclasses.field``: the ``field`` attribute above shadows the helper in this body.
    extra: dict[str, str] = dataclasses.field(default_factory=dict, hash=False, compare=True)
    # Remarks the portal lists among the documents under "Lưu ý" (notes, not papers to bring).
    notes: tuple[str, ...] = ()
    # Known from the portal's catalogue only: name, field, agency and link, but no papers, fees
    # or times, so the bot can name it and point to its page without pretending to know more.
    catalogue_only: bool = False

    @property
    def cases(self) -> tuple[DocumentGroup, ...]:
        """The groups that apply only in one situation ("Trường hợp ...")."""
        return tuple(g for g in self.documents if g.case)

    @property
    def files_online(self) -> bool:
        """Whether the portal offers an online channel for it."""
        return any(c.kind is ChannelKind.ONLINE for c in self.channels)
