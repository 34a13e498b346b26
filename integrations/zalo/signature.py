"""The ``X-ZEvent-Signature`` check Zalo puts on every webhook call.

Zalo signs ``sha256_hex(app_id + raw_body + timestamp + oa_secret_key)``: a plain SHA-256 of
the concatenation, not an HMAC, where ``timestamp`` is the event's own ``timestamp`` field.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

HEADER = "X-ZEvent-Signature"
TIMESTAMP_HEADER = "X-ZEvent-Timestamp"


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
    given = header.strip().removeprefix("mac=").strip().lower()
    return any(
        hmac.compare_digest(given, expected_mac(app_id, body, timestamp, secret))
        for timestamp in timestamps
    )
