"""One date format in the admin: a crawl of every admin page a superuser opens (each list, the
first record's change page, its history list and its latest version), in zh-hans and en, finds
dates only as YYYY-MM-DD and times only as YYYY-MM-DD HH:mm:ss."""

import datetime
import html
import re

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from simple_history.admin import SimpleHistoryAdmin

from luchen_care.accounts.models import Role
from luchen_care.workdays.models import WorkdayOverride
from registry.models import PushStatus
from tests.factories import InstitutionClassFactory, InstitutionFactory, RegistrationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese_after_the_test():
    """A request with the English cookie leaves English active in this thread: give the next test Chinese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
OTHER_FORMATS = {
    "a day/month/year date": r"\b\d{1,2}/\d{1,2}/\d{2,4}\b",
    "a date in characters": r"\d{4}年\d{1,2}月|\d{1,2}月\d{1,2}日",
    "an English month name": rf"\b({MONTHS}|(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.)\s+\d{{1,2}}\b",
    "a 12-hour time": r"\d{1,2}(:\d{2})?\s*(a\.m\.|p\.m\.|AM|PM)|午夜|中午|上午\d|下午\d",
    "an ISO time with its T or offset": r"\d{4}-\d{2}-\d{2}T\d{2}|\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}",
    "a time without its seconds": r"\b\d{4}-\d{2}-\d{2} \d{1,2}:\d{2}(?!:\d{2})",
    "a short year": r"\b\d{1,2}-\d{1,2}-\d{2}\b(?!-)",
}


def visible_text(page):
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def admin_urls(user):
    """Each registered admin's list, its first record's change page, history list and latest version."""
    request = RequestFactory().get("/admin/")
    request.user = user
    urls = []
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        try:
            urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        except NoReverseMatch:
            continue
        obj = model_admin.get_queryset(request).order_by("pk").first()
        if obj is None:
            continue
        urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        if isinstance(model_admin, SimpleHistoryAdmin):
            urls.append(reverse("admin:{}_{}_history".format(*info), args=[obj.pk]))
            version = obj.history.first()
            if version is not None:
                urls.append(reverse("admin:{}_{}_simple_history".format(*info), args=[obj.pk, version.history_id]))
    return urls


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_admin_page_writes_dates_one_way(client, language):
    root = UserFactory(username="crawler", is_superuser=True, role="")
    health = UserFactory(username="crawl-health", role=Role.HEALTH_BUREAU)
    institution = InstitutionFactory()
    InstitutionClassFactory(institution=institution)
    registration = RegistrationFactory(actor=health)
    registration.push_status = PushStatus.PUSHED
    registration.pushed_at = datetime.datetime(2026, 2, 13, 1, 2, 3, tzinfo=datetime.UTC)
    registration.save()
    WorkdayOverride.objects.create(date=datetime.date(2026, 10, 10), is_working_day=False, reason="台风停课")

    client.force_login(root)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    urls = admin_urls(root)
    assert len(urls) > 20  # the crawl reached the records, not only the lists
    found = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = visible_text(response.content.decode())
        for what, pattern in OTHER_FORMATS.items():
            found += [f"{url}: {what}: {match.group(0)!r}" for match in re.finditer(pattern, page)]
    assert not found, "\n".join(found)
    # The registration's push time reads in Asia/Shanghai on its pages.
    page = visible_text(
        client.get(reverse("admin:registry_registration_change", args=[registration.pk])).content.decode()
    )
    assert "2026-02-13 09:02:03" in page
