"""A notice's plain text as HTML for the portal inbox: escaped, its links clickable, its lines kept."""

import re

from django.utils.html import escape, linebreaks
from django.utils.safestring import mark_safe

# A link ends at white space, a quote or angle bracket, or Chinese punctuation (、。，：（）【】 and the
# full-width forms): Chinese text runs on without a space after it, where ``urlize`` finds no link.
_LINK = re.compile(r"https?://[^\s<>\"'\u3000-\u303f\uff00-\uffef]+")
_TRAILING = ".,;:!?)]"


def _anchor(match):
    url = match.group(0)
    tail = ""
    while url and url[-1] in _TRAILING:
        url, tail = url[:-1], url[-1] + tail
    return f'<a href="{url}" rel="noopener noreferrer">{url}</a>{tail}'


def notice_html(text: str) -> str:
    """``text`` escaped, with each http(s) link an anchor, in paragraphs and line breaks."""
    return mark_safe(linebreaks(_LINK.sub(_anchor, escape(text or ""))))  # noqa: S308  (escaped above)
