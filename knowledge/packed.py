"""Texts kept compressed in memory until someone reads them.

A procedure's steps are the longest texts of the knowledge base (about 11 MB as Python strings
for the shipped one) and nothing a worker does while answering reads them: only ``motcua kb
show``, the console's import summary and the file writer do. Kept as one zlib block per
procedure they take about 2.5 MB, and reading them costs a decompression. The same holds for
a procedure's conditions, a channel's description and a paper's details (:class:`PackedText`,
see ``knowledge.store.PACKED``): no reply quotes them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import overload


class PackedTexts(Sequence[str]):
    """An immutable sequence of texts stored as compressed UTF-8 JSON.

    It equals (and hashes as) the tuple of the same texts, so a procedure read from the file
    equals the one the importer built with a tuple.
    """

    __slots__ = ("_count", "_packed")

    def __init__(self, texts: Iterable[str] = ()) -> None:
        items = list(texts)
        self._count = len(items)
        self._packed = (
            zlib.compress(json.dumps(items, ensure_ascii=False).encode()) if items else b""
        )

    def _texts(self) -> tuple[str, ...]:
        if not self._packed:
            return ()
        return tuple(json.loads(zlib.decompress(self._packed)))

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...

    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self._texts()[index]

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedTexts):
            return self._packed == other._packed
        if isinstance(other, Sequence) and not isinstance(other, str):
            return self._texts() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._texts())

    def __repr__(self) -> str:
        return f"PackedTexts({list(self._texts())!r})"


PACK_FROM = 200
"""Characters from which a text is worth packing: below, the compressed block and its object
take about as much as the string."""


class PackedText:
    """A text stored as compressed UTF-8: ``str()`` reads it back.

    It equals (and hashes as) the string it was made from, so a procedure read from the file
    equals the one the importer built with strings.
    """

    __slots__ = ("_packed",)

    def __init__(self, text: str) -> None:
        self._packed = zlib.compress(text.encode())

    def __str__(self) -> str:
        return zlib.decompress(self._packed).decode()

    def __bool__(self) -> bool:
        return True  # only texts of PACK_FROM characters or more are packed

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedText):
            return self._packed == other._packed
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(str(self))

    def __repr__(self) -> str:
        return f"PackedText({str(self)!r})"


Text = str | PackedText
"""A text that may be kept packed: read it with ``str()``."""


def pack(text: str) -> Text:
    """``text`` packed when it is long enough to gain by it, else itself."""
    return PackedText(text) if len(text) >= PACK_FROM else text
