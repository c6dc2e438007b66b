"""Every history page shows a change as a person reads it, in both languages: the field's label,
a choice's label, a related record by its name (only if the viewer may see it), yes/no, dates
as YYYY-MM-DD and times in Asia/Shanghai as YYYY-MM-DD HH:mm:ss, an em dash for nothing."""

import datetime
import html
import re
import zoneinfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext

from luchen_care.workdays.models import WorkdayOverride
from registry.models import Institution, InstitutionKind, InstitutionStatus, PushStatus, Registration
from tests.factories import InstitutionFactory, RegistrationFactory, street

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _chinese_after_the_test():
    """A request with the English cookie leaves English active in this thread: give the next test Chinese."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


LANGUAGES = ["zh-hans", "en"]
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def page_in(client, url, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:1000]
    return response.content.decode()


def text(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def changes_on(page):
    """The history list's changes, newest row first: [{field name: "label: old → new"}, …]."""
    rows = re.findall(r'<ul class="history-changes">(.*?)</ul>', page, re.S)
    return [
        dict((name, text(item)) for name, item in re.findall(r'<li data-field="([^"]+)">(.*?)</li>', row, re.S))
        for row in rows
    ]


def shown(model, name, old, new):
    """``label: old → new`` as the page writes it in the active language."""
    label = capfirst(model._meta.get_field(name).verbose_name)
    return text(gettext("%(field)s: %(old)s → %(new)s") % {"field": label, "old": old, "new": new})


def at_a_known_moment(obj):
    """Date the latest history row of ``obj`` a day ahead (so it stays the latest) to the second;
    returns what the page must show: that moment in Asia/Shanghai."""
    moment = (timezone.now() + datetime.timedelta(days=1)).replace(microsecond=0)
    latest = obj.history.first()
    type(latest).objects.filter(pk=latest.pk).update(history_date=moment)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"), moment.strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_institutions_history_shows_labels_not_codes(client, health_user, language):
    institution = InstitutionFactory(status=InstitutionStatus.REGISTERED, inclusive=False)
    registered_on = institution.registered_on.strftime("%Y-%m-%d")
    institution.kind = InstitutionKind.COMMUNITY
    institution.inclusive = True
    institution.street = street("330302023")
    institution.registered_on = datetime.date(2026, 2, 13)
    institution.save()
    local, utc = at_a_known_moment(institution)

    client.force_login(health_user)
    page = page_in(client, reverse("admin:registry_institution_history", args=[institution.pk]), language)
    with translation.override(language):
        latest = changes_on(page)[0]
        assert latest == {
            "kind": shown(Institution, "kind", InstitutionKind.STANDALONE.label, InstitutionKind.COMMUNITY.label),
            "inclusive": shown(Institution, "inclusive", gettext("No"), gettext("Yes")),
            "street": shown(Institution, "street", street("330302006").name, street("330302023").name),
            "registered_on": shown(Institution, "registered_on", registered_on, "2026-02-13"),
        }
        # The status column is its label; the time is Asia/Shanghai's, to the second.
        assert f"<td>{InstitutionStatus.REGISTERED.label}</td>" in page
        assert str(capfirst(Institution._meta.get_field("status").verbose_name)) in page
    assert f'<td class="history-date">{local}</td>' in page and utc not in page
    assert "community" not in text(page) and "standalone" not in text(page)
    if language == "zh-hans":
        assert "否 → 是" in latest["inclusive"] and "七都街道" in latest["street"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_head_office_outside_the_viewers_scope_is_not_named(client, wuma_user, health_user, language):
    head = InstitutionFactory(name="七都连锁总部托育园", street=street("330302023"))
    branch = InstitutionFactory(street=street("330302006"))
    branch.head_office = head
    branch.save()
    history = reverse("admin:registry_institution_history", args=[branch.pk])
    version = reverse("admin:registry_institution_simple_history", args=[branch.pk, branch.history.first().history_id])

    client.force_login(wuma_user)  # 五马's street office: the branch is in its street, the head office is not
    page = page_in(client, history, language)
    with translation.override(language):
        assert changes_on(page)[0]["head_office"] == shown(Institution, "head_office", "—", gettext("(not shown)"))
    version_page = page_in(client, version, language)
    assert "七都连锁总部托育园" not in page and "七都连锁总部托育园" not in version_page

    client.force_login(health_user)  # the bureau sees the head office: it is named
    with translation.override(language):
        assert changes_on(page_in(client, history, language))[0]["head_office"] == shown(
            Institution, "head_office", "—", "七都连锁总部托育园"
        )
        assert "七都连锁总部托育园" in page_in(client, version, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_registrations_push_shows_its_status_label_and_time_in_shanghai(client, health_user, language):
    registration = RegistrationFactory(actor=health_user)
    pushed_at = datetime.datetime(2026, 2, 13, 1, 2, 3, tzinfo=datetime.UTC)  # 09:02:03 in Asia/Shanghai
    registration.push_status = PushStatus.PUSHED
    registration.pushed_at = pushed_at
    registration.save()

    client.force_login(health_user)
    page = page_in(client, reverse("admin:registry_registration_history", args=[registration.pk]), language)
    with translation.override(language):
        latest = changes_on(page)[0]
        assert latest["push_status"] == shown(
            Registration, "push_status", PushStatus.PENDING.label, PushStatus.PUSHED.label
        )
        assert latest["pushed_at"] == shown(Registration, "pushed_at", "—", "2026-02-13 09:02:03")
    version = registration.history.first().history_id
    version_page = text(
        page_in(
            client, reverse("admin:registry_registration_simple_history", args=[registration.pk, version]), language
        )
    )
    assert "2026-02-13 09:02:03" in version_page and "pushed" not in version_page.split()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_working_day_overrides_columns_read_yes_and_no(client, health_user, language):
    override = WorkdayOverride.objects.create(date=datetime.date(2026, 10, 10), is_working_day=False, reason="台风停课")
    override.is_working_day = True
    override.save()

    client.force_login(health_user)
    page = page_in(client, reverse("admin:workdays_workdayoverride_history", args=[override.pk]), language)
    with translation.override(language):
        heading = capfirst(WorkdayOverride._meta.get_field("is_working_day").verbose_name)
        assert f'<th scope="col">{heading}</th>' in page
        assert f"<td>{gettext('Yes')}</td>" in page and f"<td>{gettext('No')}</td>" in page
        assert changes_on(page)[0] == {
            "is_working_day": shown(WorkdayOverride, "is_working_day", gettext("No"), gettext("Yes"))
        }
    assert "True" not in text(page) and "False" not in text(page)
