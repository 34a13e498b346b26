"""Issuers by name, never by folder: the page crawl files each procedure under its ministry's
folder ("bo-nong-nghiep-mt") and the Defence export under "bo-quoc-phong", while the portal's
catalogue, shipped beside them, names the same issuer ("Bộ Nông nghiệp và Môi trường"). A
citizen reads the name; the catalogue is the portal's own word for it."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import replace

from knowledge.model import Procedure
from knowledge.text import fold

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")


def is_slug(issuer: str) -> bool:
    """Whether an issuer is a folder's name ("bo-tu-phap") rather than a name."""
    return _SLUG.fullmatch(issuer) is not None


def named(procedures: Iterable[Procedure], catalogue: Mapping[str, str]) -> list[Procedure]:
    """Each procedure whose issuer is a folder gets the catalogue's name for it: the name the
    catalogue gives its own code, else the name of the folder's other codes that spells the
    folder ("bo-xay-dung" is "Bộ Xây dựng"), else the one most of them bear.

    ``catalogue`` maps a code to the issuer the portal's catalogue names for it.
    """
    kept = list(procedures)
    seen: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for procedure in kept:
        if is_slug(procedure.ministry) and (name := catalogue.get(procedure.code)):
            seen[procedure.ministry][name] += 1

    def folder_name(slug: str) -> str:
        names = seen[slug]
        spelled = [n for n in names if fold(n).replace(" ", "-") == slug]
        if spelled:
            return spelled[0]
        return names.most_common(1)[0][0] if names else slug

    return [
        replace(p, ministry=catalogue.get(p.code) or folder_name(p.ministry))
        if is_slug(p.ministry)
        else p
        for p in kept
    ]
