"""The portal contract both sides share: statuses, transitions, codes and webhook signatures.

The contract is documented for people and checked by machines in ``openapi.yaml`` beside this
module; the client and the sandbox both read the facts from here, so they cannot drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

from dialogs.ports import DOSSIER_CODE

API_PREFIX = "/api/v1"
SANDBOX_PREFIX = "/sandbox"

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 255
"""Stripe's limit, which the contract copies: longer keys are refused."""

TIMESTAMP_HEADER = "X-Portal-Timestamp"
SIGNATURE_HEADER = "X-Portal-Signature"
WEBHOOK_TOLERANCE_SECONDS = 300
"""A webhook stamped further than this from now is refused (the replay window)."""

STATUS_CHANGED = "dossier.status_changed"

LABELS: Mapping[str, str] = {
    "submitted": "Mới đăng ký",
    "accepted": "Đã tiếp nhận",
    "not_accepted": "Không được tiếp nhận",
    "processing": "Đang xử lý",
    "supplement_required": "Yêu cầu bổ sung giấy tờ",
    "payment_required": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "result_ready": "Đã có kết quả",
    "returned": "Đã trả kết quả",
    "refused": "Từ chối giải quyết",
    "withdrawn": "Công dân rút hồ sơ",
    "stopped": "Dừng xử lý",
}
"""Every status with the label real one-stop systems show citizens."""

STATUSES = tuple(LABELS)

TRANSITIONS: Mapping[str, frozenset[str]] = {
    "submitted": frozenset({"accepted", "not_accepted", "withdrawn"}),
    "accepted": frozenset({"processing", "withdrawn", "stopped"}),
    "processing": frozenset(
        {
            "supplement_required",
            "payment_required",
            "result_ready",
            "refused",
            "withdrawn",
            "stopped",
        }
    ),
    "supplement_required": frozenset({"processing", "withdrawn", "stopped"}),
    "payment_required": frozenset({"processing", "withdrawn", "stopped"}),
    "result_ready": frozenset({"returned"}),
    "not_accepted": frozenset(),
    "returned": frozenset(),
    "refused": frozenset(),
    "withdrawn": frozenset(),
    "stopped": frozenset(),
}
"""Where an officer may move a dossier from each status (terminal ones go nowhere)."""

CITIZEN_ACTS = frozenset({"supplement_required", "payment_required"})
"""Statuses in which the citizen must act; the due-date clock pauses meanwhile."""

CLOSED = frozenset(s for s, targets in TRANSITIONS.items() if not targets) | {"result_ready"}
"""Statuses after which a dossier can no longer become overdue."""

CODE_PATTERN = DOSSIER_CODE

PROCEDURE_PATTERN = re.compile(r"^\d\.\d{6}$")
"""A national procedure code, e.g. ``1.001193``."""


def is_dossier_code(text: str) -> bool:
    """Whether ``text`` has the shape of a dossier code (the portal decides whether it exists)."""
    return bool(CODE_PATTERN.fullmatch(text))


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Portal-Signature`` value: ``sha256=`` + hex HMAC of ``timestamp + "." + body``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def signature_valid(secret: str, timestamp: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` signs ``body`` at ``timestamp``; compared in constant time."""
    if not header:
        return False
    return hmac.compare_digest(header.strip().lower(), sign(secret, timestamp, body))


def timestamp_fresh(timestamp: str | None, now: float) -> bool:
    """Whether a webhook's unix-seconds stamp is within the tolerance of ``now``."""
    if not timestamp or not timestamp.strip().isdigit() or len(timestamp.strip()) > 12:
        return False
    return abs(now - int(timestamp)) <= WEBHOOK_TOLERANCE_SECONDS
