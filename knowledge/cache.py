"""A knowledge base's search index, kept on disk between starts.

Reading the shipped ``kb.json.gz`` and indexing its procedures takes about two seconds of CPU
at every start of ``motcua serve``, ``motcua worker`` and ``motcua ask``; reading back the index
an earlier start built takes about a fifth of that. An entry is named by a hash of everything
the index is made from: the knowledge-base file's bytes, the source and vocabulary files of the
``knowledge`` package (the code that reads and indexes, and the words it indexes with), and the
versions of Python and of the libraries whose objects it holds. A change to any of them names
another entry, so an entry is never stale; it is only ever replaced whole.

Processes that start together build a missing entry once: the first takes a lock file, builds
and writes; the others wait on the lock, then read what it wrote. An entry is written to a
temporary file and renamed into place, so a reader never sees half of one; one that cannot be
read is built again. A folder that cannot be written only costs the time: the index is built
in memory as it would be without a cache.

The cost is memory: a process that read an entry back keeps about 5 MB more than one that
indexed the file itself, and one that built and wrote an entry about 23 MB more until it starts
again (``bench/memory.md``), so the cache is used only where a folder is given
(``MOTCUA_CACHE_DIR``); the test suite gives one to all its processes.

Entries are pickles, so the folder must be writable by motcua's own user only: whoever can
write an entry can run code in motcua.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import pickle
import sys
from importlib.metadata import version
from pathlib import Path

from knowledge.search import SearchIndex
from knowledge.store import decode_knowledge_base

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).parent
"""The ``knowledge`` package: its source and vocabulary files are part of every entry's name."""
ENTRIES_KEPT = 4
"""Entries left in the folder after a new one is written (the newest): a few knowledge bases
or versions used in turn each keep theirs, and the folder does not grow with every upgrade."""
HELD_LIBRARIES = ("numpy", "cachetools")
"""The libraries whose objects an index holds (arrays, the kept results' cache): a new version
may read an old pickle differently."""
_LOCK = "index.lock"


def cached_index(path: Path, folder: Path, code: Path = PACKAGE) -> SearchIndex:
    """The search index of the knowledge base in ``path``, from ``folder`` or built into it.

    ``code`` is the folder whose source and vocabulary files name the entry along with the
    data (the ``knowledge`` package itself; another only to show that a change there counts).

    Raises:
        OSError: ``path`` cannot be read.
        KnowledgeBaseFormatError: ``path`` is not a knowledge base.
    """
    data = path.read_bytes()
    entry = folder / f"index-{fingerprint(data, code)}.pickle"
    index = _read(entry)
    if index is not None:
        return index
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = (folder / _LOCK).open("ab")
    except OSError as error:
        log.warning("knowledge index not kept: %s: %s", type(error).__name__, error)
        return _build(data, path)
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        index = _read(entry)  # another process may have built it while this one waited
        if index is None:
            index = _build(data, path)
            _write(entry, index)
    return index


def fingerprint(data: bytes, code: Path = PACKAGE) -> str:
    """A hash of a knowledge base's bytes and of everything else its index is made from."""
    libraries = "\0".join(version(name) for name in HELD_LIBRARIES)
    digest = hashlib.sha256(f"{sys.version}\0{libraries}\0".encode())
    digest.update(hashlib.sha256(data).digest())
    for source in _sources(code):
        digest.update(source.relative_to(code).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(source.read_bytes()).digest())
    return digest.hexdigest()[:32]


def _sources(code: Path) -> list[Path]:
    """The package's Python files and its search vocabulary, in a fixed order."""
    vocabulary = code / "data" / "search"
    files = [*code.rglob("*.py"), *(p for p in vocabulary.iterdir() if p.is_file())]
    return sorted(p for p in files if "__pycache__" not in p.parts)


def _build(data: bytes, path: Path) -> SearchIndex:
    return SearchIndex(decode_knowledge_base(data, str(path)))


def _read(entry: Path) -> SearchIndex | None:
    """The index kept in ``entry``; None when there is none or it cannot be read back."""
    try:
        with entry.open("rb") as file:  # streamed: the entry's bytes are never held whole
            kept = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception as error:  # a damaged entry, whatever the damage, is built again
        log.warning("knowledge index %s unreadable, built again: %s", entry.name, error)
        return None
    return kept if isinstance(kept, SearchIndex) else None


def _write(entry: Path, index: SearchIndex) -> None:
    """Put ``index`` in place whole, then drop the oldest entries beyond ``ENTRIES_KEPT``."""
    partial = entry.with_name(f"{entry.name}.{os.getpid()}.partial")
    try:
        with partial.open("wb") as file:  # streamed: a first start's memory stays its index's
            pickle.dump(index, file, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(entry)
        entries = sorted(entry.parent.glob("index-*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-ENTRIES_KEPT]:
            old.unlink(missing_ok=True)
    except OSError as error:
        partial.unlink(missing_ok=True)
        log.warning("knowledge index not kept: %s: %s", type(error).__name__, error)
    else:
        log.info("knowledge index built and kept in %s", entry)
