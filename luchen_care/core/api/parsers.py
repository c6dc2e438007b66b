"""The API's one parser: JSON, refused before parsing when it nests too deep.

``json.loads`` recurses once per level of nesting; a body of a few kilobytes nested a
thousand deep ends in ``RecursionError`` (a 500). The depth is counted first, by one
linear scan that skips the contents of strings, so no such body reaches the decoder.
"""

import codecs
import re

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.utils import json

MAX_DEPTH = 32

# A JSON string (escapes included), or one bracket. Everything between matches is skipped by finditer.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)


def json_depth_exceeds(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether any value in ``text`` (JSON, possibly malformed) nests deeper than ``limit``."""
    depth = 0
    for match in _TOKENS.finditer(text):
        first = match.group()[0]
        if first in "[{":
            depth += 1
            if depth > limit:
                return True
        elif first != '"':  # a closing bracket; a string changes nothing
            depth -= 1
    return False


class TooDeep(ParseError):
    default_code = "too_deep"


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with a nesting limit of ``MAX_DEPTH`` levels (400 ``too_deep``)."""

    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = codecs.decode(raw, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if json_depth_exceeds(text, self.max_depth):
            raise TooDeep(
                _("The JSON is nested deeper than %(max)d levels; send a flatter document.") % {"max": self.max_depth},
                code="too_deep",
            )
        try:
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc  # DRF's own wording
