"""Verification codes: 16 Crockford base32 characters (80 random bits), shown in groups of four.

Crockford's alphabet leaves out I, L, O and U, so a code read off paper and typed back cannot be
mistaken: a typed O counts as 0, I and L as 1, and spaces, hyphens and case do not matter.
"""

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 16
GROUP = 4
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def code_new() -> str:
    """A fresh code, from the operating system's random source (80 bits: not guessable)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def code_display(code: str) -> str:
    """ABCD-EFGH-JKMN-PQRS: the stored code in groups of four, as printed."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def code_normalize(typed: str) -> str | None:
    """The stored form of a code as someone typed it, or ``None`` when it cannot be a code."""
    cleaned = "".join(ch for ch in (typed or "").upper() if ch not in " -_\u3000").translate(_READ_AS)
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned
