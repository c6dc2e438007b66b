"""Validators for identifiers that appear in the registry."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: the unified social credit code.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(rf"^[{USCC_ALPHABET}]{{2}}\d{{6}}[{USCC_ALPHABET}]{{10}}$")


def uscc_check_character(first17: str) -> str:
    """The check character for the first 17 characters of a credit code."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_credit_code(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    """Refuse anything that is not a well-formed code with a matching check character.

    Written here rather than taken from ``stdnum.cn.uscc``, which refuses valid codes
    whose first character is a letter (e.g. ``Y`` for "other registering bodies").
    """
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="credit_code_length",
            params={"n": len(code)},
        )
    if not _USCC_SHAPE.match(code):
        raise ValidationError(
            _(
                "A unified social credit code uses only digits and the capital letters "
                "ABCDEFGHJKLMNPQRTUWXY, with an administrative division code in characters 3–8."
            ),
            code="credit_code_characters",
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _("The check character of this unified social credit code does not match; check for a typo."),
            code="credit_code_check",
        )


_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?)$")


def validate_phone(value: str) -> None:
    if not _PHONE.match((value or "").replace(" ", "")):
        raise ValidationError(
            _("Enter a mainland mobile number (11 digits) or a landline such as 0577-88888888."),
            code="phone",
        )
