"""Staff passwords: argon2id hashes (argon2-cffi), never the password itself."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.console.context import N_

MIN_LENGTH = 10
"""Shorter passwords are refused: the console reaches every commune's conversations."""

MAX_LENGTH = 256
"""Longer input is refused before hashing, so a huge body cannot make argon2 work for it."""

_HASHER = PasswordHasher()


@cache
def dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so the answer takes as long as for a real one.

    Made on first use, not on import: every ``motcua`` process imports this module, and most
    never check a password.
    """
    return _HASHER.hash("an account that does not exist")


def hash_password(password: str) -> str:
    """The argon2id hash to keep."""
    return _HASHER.hash(password)


def verify(password_hash: str, password: str) -> tuple[bool, str | None]:
    """Whether ``password`` matches; and a fresh hash when the stored one's parameters are old."""
    if len(password) > MAX_LENGTH:
        return False, None
    try:
        _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, hash_password(password) if _HASHER.check_needs_rehash(password_hash) else None


def weakness(password: str) -> str | None:
    """Why a new password is refused (an English message id), or None when it is fine."""
    if len(password) < MIN_LENGTH:
        return N_("The password must have at least 10 characters.")
    if len(password) > MAX_LENGTH:
        return N_("The password must have at most 256 characters.")
    return None
