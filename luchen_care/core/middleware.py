"""The language of a request: pages are Chinese unless the user picked English, the API follows the client.

A government platform's pages speak its language: an English-language browser still gets the
Chinese admin and pages, and English only once the user picks it with the switcher (Django's
``set_language`` view stores the choice in the language cookie). Other systems calling the API
choose with ``Accept-Language``, as Django's ``LocaleMiddleware`` reads it.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

API_PREFIX = "/api/"


def page_language(request) -> str:
    """The language of a page: the switcher's choice (the language cookie), else ``LANGUAGE_CODE``."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    supported = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in supported else settings.LANGUAGE_CODE


class PageLanguageMiddleware(LocaleMiddleware):
    """``LocaleMiddleware`` for the API; the switcher's choice alone for every other page."""

    def process_request(self, request):
        if request.path.startswith(API_PREFIX):
            return super().process_request(request)
        translation.activate(page_language(request))
        request.LANGUAGE_CODE = translation.get_language()
        return None
