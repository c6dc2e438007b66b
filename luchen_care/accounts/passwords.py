"""The password rule of a level-3 system: at least 10 characters, from at least three classes."""

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CLASSES = (
    ("lower", lambda c: c in string.ascii_lowercase),
    ("upper", lambda c: c in string.ascii_uppercase),
    ("digit", lambda c: c.isdigit()),
    ("other", lambda c: not (c.isascii() and c.isalnum())),  # punctuation, spaces, Chinese characters
)


class CharacterClassesValidator:
    """At least ``classes`` of: lower-case letters, capitals, digits, other characters."""

    def __init__(self, classes=3):
        self.classes = classes

    def validate(self, password, user=None):
        used = sum(1 for _name, test in CLASSES if any(test(c) for c in password))
        if used < self.classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return _(
            "Your password must mix at least %(classes)d of: lower-case letters, capital letters, digits "
            "and other characters."
        ) % {"classes": self.classes}
