"""The ``X-ZEvent-Signature`` check Zalo puts on every webhook call.

Zalo signs ``sha256_hex(app_id + raw_body + timestamp + oa_secret_key)``: a plain SHA-256 of
the concatenation, not an HMAC, where ``timestamp`` is the event's own ``timestamp`` field.

The signature is checked before the body is parsed: the timestamp it covers is found in the raw
bytes by a bounded pattern, so nothing of an unauthenticated body reaches the JSON parser.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import re
from collections.abc import Iterable

HEADER = "X-ZEvent-Signature"
TIMESTAMP_HEADER = "X-ZEvent-Timestamp"

_BODY_TIMESTAMP = re.compile(rb'"timestamp"\s*:\s*"?([0-9]{1,20})"?')
_HEADER_TIMESTAMP = re.compile(r"[0-9]{1,20}")
_CANDIDATES = 3
"""Timestamps tried per body: the event's own comes first in every body Zalo sends; a few more
cover a nested object that happens to carry the same key, and bound the hashing an attacker
can cause."""


def signed_timestamps(body: bytes, header: str | None) -> list[str]:
    """The values the signature may cover: the body's ``timestamp`` fields, then the header."""
    found = [
        match.group(1).decode("ascii")
        for match in itertools.islice(_BODY_TIMESTAMP.finditer(body), _CANDIDATES)
    ]
    if header is not None and _HEADER_TIMESTAMP.fullmatch(header):
        found.append(header)
    return found


def expected_mac(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    """The lowercase hex MAC Zalo computes for one webhook body."""
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def is_valid(
    header: str | None, app_id: str, body: bytes, timestamps: Iterable[str], secret: str
) -> bool:
    """Whether ``header`` signs ``body`` for one of the candidate timestamps.

    The ``mac=`` prefix is optional; the comparison is constant-time.
    """
    if not header:
        return False
    # Bytes: compare_digest refuses str with non-ASCII characters, which a forger may send.
    given = header.strip().removeprefix("mac=").strip().lower().encode("utf-8", "surrogateescape")
    return any(
        hmac.compare_digest(given, expected_mac(app_id, body, timestamp, secret).encode())
        for timestamp in timestamps
    )
