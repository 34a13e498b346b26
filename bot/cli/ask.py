"""``motcua ask "QUERY"``: answer a citizen's question from the command line.

``--json`` prints exactly one object, a stable interface for scripts::

    {"query": "...", "match": {"code": "...", "name": "...", "score": 1.23} | null,
     "alternatives": [{"code": "...", "name": "...", "score": 0.98}, ...],
     "candidates": [...]}

``candidates`` are close guesses, listed only when no procedure fits surely (``match`` null).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bot.config import Settings
from knowledge.base import LocalKnowledgeBase
from knowledge.results import SearchHit, SearchResult
from knowledge.store import KnowledgeBaseFormatError

MAX_LIMIT = 50


def register(subparsers: Any) -> None:
    """Add ``ask`` to the ``motcua`` parser."""
    ask = subparsers.add_parser("ask", help="find the procedure that answers a question")
    ask.add_argument("query", help='the question, e.g. "dang ky khai sinh"')
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--limit", type=int, default=5, help="procedures to list (default 5)")
    ask.add_argument("--locale", default=None, help="vi or en (default: MOTCUA_DEFAULT_LOCALE)")
    ask.add_argument("--kb", type=Path, default=None, help="knowledge-base file to search")
    ask.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Search and print the answer; 2 for a question that cannot be asked."""
    query = " ".join(str(args.query).split())
    if not query:
        print("Xin nhập câu hỏi / please type a question.", file=sys.stderr)
        return 2
    if not 1 <= args.limit <= MAX_LIMIT:
        print(f"--limit phải từ 1 đến {MAX_LIMIT} / must be 1 to {MAX_LIMIT}.", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    try:
        kb = LocalKnowledgeBase.load(args.kb or settings.knowledge_path, settings.cache_dir)
    except (OSError, KnowledgeBaseFormatError) as exc:
        print(
            f"Không đọc được cơ sở dữ liệu thủ tục / cannot read the knowledge base: {exc}",
            file=sys.stderr,
        )
        return 1
    locale = args.locale or settings.default_locale
    result = kb.search(query, locale=locale, limit=args.limit)
    if args.json:
        print(json.dumps(result_to_dict(result), ensure_ascii=False))
    else:
        matched = () if result.match is None else kb.matched_terms(query, result.match.code, locale)
        print(describe(result, matched))
    return 0


def result_to_dict(result: SearchResult) -> dict[str, Any]:
    """The ``--json`` object."""
    return {
        "query": result.query,
        "match": _hit(result.match) if result.match else None,
        "alternatives": [_hit(h) for h in result.alternatives],
        "candidates": [_hit(h) for h in result.candidates],
    }


def _hit(hit: SearchHit) -> dict[str, Any]:
    return {"code": hit.code, "name": hit.name, "score": hit.score}


def describe(result: SearchResult, matched: tuple[str, ...]) -> str:
    """A short human-readable answer, Vietnamese first; ``matched``: the match's words the
    query says."""
    if result.match is None and result.candidates:
        lines = ["Chưa chắc chắn; có phải / not sure; did you mean:"]
        return "\n".join(lines + [f"  - {h.code}  {h.name}" for h in result.candidates])
    if result.match is None:
        return (
            "Không tìm thấy thủ tục phù hợp. Hãy thử diễn đạt khác, ví dụ: “đăng ký khai sinh”.\n"
            "No matching procedure. Try other words, e.g. “birth registration”."
        )
    m = result.match
    lines = [f"{m.code}  {m.name}", f"   khớp / matched: {', '.join(matched) or '-'}"]
    variants = result.variants
    others = [h for h in result.alternatives if not h.variant]
    if variants:
        lines.append("Trường hợp khác của thủ tục này / other cases of this procedure:")
        lines += [f"  - {h.code}  {h.name}" for h in variants]
    if others:
        lines.append("Thủ tục gần giống / related procedures:")
        lines += [f"  - {h.code}  {h.name}" for h in others]
    return "\n".join(lines)
