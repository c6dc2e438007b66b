"""The Django admin as bureau staff use it: Chinese, validated, with history, export and archiving."""

import datetime
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from registry.models import ClassType, Institution, InstitutionClass, InstitutionKind, InstitutionStatus, Ownership
from registry.validators import uscc_check_character
from tests.factories import InstitutionClassFactory, InstitutionFactory, make_credit_code, street

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:registry_institution_changelist")
ADD = reverse("admin:registry_institution_add")
EXPORT = reverse("admin:registry_institution_export")
QIDU = "330302023"


def change_url(inst):
    return reverse("admin:registry_institution_change", args=[inst.pk])


def form_data(client, url):
    """The admin form at ``url`` as a browser would post it back unchanged, read from the page."""
    response = client.get(url)
    assert response.status_code == 200
    data = {}

    def put(bound_field):
        value = bound_field.value()
        if isinstance(value, bool):
            if value:
                data[bound_field.html_name] = "on"
        elif value is not None:
            data[bound_field.html_name] = value

    for bound_field in response.context["adminform"].form:
        put(bound_field)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for bound_field in formset.management_form:
            data[bound_field.html_name] = bound_field.value()
        for form in formset.forms:
            for bound_field in form:
                put(bound_field)
    return data


# --- language -------------------------------------------------------------------------------


def test_the_admin_login_page_is_in_chinese(client):
    response = client.get(reverse("admin:login"))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans"' in page
    assert "用户名" in page and "密码" in page and "登录" in page


def test_english_is_available(client):
    client.cookies["django_language"] = "en"  # chosen with the switcher
    response = client.get(reverse("admin:login"))
    page = response.content.decode()
    assert '<html lang="en"' in page
    assert "Username" in page


def test_bureau_staff_log_in_with_their_password(client, health_user, password):
    response = client.post(reverse("admin:login"), {"username": "health", "password": password, "next": CHANGELIST})
    assert response.status_code == 302
    assert client.get(CHANGELIST).status_code == 200


# --- the add form ---------------------------------------------------------------------------


def add_data(client, **overrides):
    data = form_data(client, ADD)
    data.update(
        {
            "name": "温州市鹿城区启蒙星托育有限公司",
            "credit_code": make_credit_code(600001),
            "kind": InstitutionKind.STANDALONE,
            "ownership": Ownership.PRIVATE,
            "for_profit": "on",
            "registration_authority": "market_regulation",
            "street": street(QIDU).pk,
            "address": "温州市鹿城区七都街道学院路8号",
            "legal_representative": "林文静",
            "contact_phone": "13912345678",
            "approved_places": "40",
            "status": InstitutionStatus.REGISTERED,
            "registered_on": "2026-03-02",
        }
    )
    data.update(overrides)
    return data


def test_an_invalid_credit_code_is_refused_on_its_field(admin_client_for, health_user):
    client = admin_client_for(health_user)
    good = make_credit_code(600002)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")

    response = client.post(ADD, add_data(client, credit_code=bad))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == ["credit_code"]
    # The error is shown on the credit-code row of the form, next to its label.
    page = response.content.decode()
    row = page[page.index('<div class="form-row errors field-credit_code">') :]
    row = row[: row.index('<div class="form-row', 1)]
    assert '<ul class="errorlist" id="id_credit_code_error">' in row
    assert form.errors["credit_code"][0] in row
    with translation.override("zh-hans"):
        assert f"{Institution._meta.get_field('credit_code').verbose_name}:</label>" in row
    assert not Institution.objects.exists()


def test_a_valid_code_starting_with_a_letter_is_accepted_in_the_admin(admin_client_for, health_user):
    client = admin_client_for(health_user)
    body = "Y1330302MA2L7Q8N1"
    code = body + uscc_check_character(body)

    response = client.post(ADD, add_data(client, credit_code=code.lower(), kind=InstitutionKind.FAMILY))

    assert response.status_code == 302, response.context["adminform"].form.errors
    inst = Institution.objects.get()
    assert inst.credit_code == code
    assert inst.created_by == health_user
    assert inst.history.get().history_user == health_user


def test_classes_are_added_inline(admin_client_for, health_user):
    client = admin_client_for(health_user)
    data = add_data(client)
    data.update(
        {
            "classes-TOTAL_FORMS": "1",
            "classes-0-class_type": ClassType.INFANT,
            "classes-0-class_count": "1",
            "classes-0-capacity": "10",
        }
    )
    assert client.post(ADD, data).status_code == 302
    assert [(c.class_type, c.capacity) for c in Institution.objects.get().classes.all()] == [("infant", 10)]


# --- history --------------------------------------------------------------------------------


def test_an_edit_records_who_when_and_what_and_the_admin_shows_it(admin_client_for, health_user):
    inst = InstitutionFactory(name="小橡树托育", approved_places=30, operating_since=datetime.date(2024, 5, 6))
    client = admin_client_for(health_user)
    before = timezone.now()

    data = form_data(client, change_url(inst))
    data.update({"name": "小橡树托育（五马园）", "approved_places": "45"})
    response = client.post(change_url(inst), data)

    assert response.status_code == 302
    record = inst.history.latest()
    assert record.history_type == "~"
    assert record.history_user == health_user
    assert before <= record.history_date <= timezone.now()
    changes = {c.field: (c.old, c.new) for c in record.diff_against(record.prev_record).changes}
    assert changes == {"name": ("小橡树托育", "小橡树托育（五马园）"), "approved_places": (30, 45)}

    page = client.get(reverse("admin:registry_institution_history", args=[inst.pk])).content.decode()
    assert "health" in page  # who
    assert "小橡树托育（五马园）" in page and "45" in page  # what, old and new
    with translation.override("zh-hans"):
        label = str(Institution._meta.get_field("approved_places").verbose_name)
        when = timezone.localtime(record.history_date)
    assert label in page
    assert str(when.year) in page


def change_text(field, old, new):
    """One "what changed" line as the history pages show it, in Chinese."""
    with translation.override("zh-hans"):
        return translation.gettext("%(field)s: %(old)s → %(new)s") % {"field": field, "old": old, "new": new}


def class_label(name):
    with translation.override("zh-hans"):
        return str(InstitutionClass._meta.get_field(name).verbose_name)


def test_class_changes_in_the_inline_show_on_the_institutions_history_page(admin_client_for, health_user, wuma_user):
    inst = InstitutionFactory(name="小橡树托育", street=street(QIDU))
    InstitutionClassFactory(institution=inst, class_type=ClassType.OLDER, class_count=2, capacity=40)
    InstitutionClassFactory(institution=inst, class_type=ClassType.INFANT, class_count=1, capacity=10)
    client = admin_client_for(health_user)
    before = timezone.now()

    data = form_data(client, change_url(inst))
    row = {data[f"classes-{i}-class_type"]: i for i in range(int(data["classes-TOTAL_FORMS"]))}
    data.update({f"classes-{row['older']}-class_count": "3", f"classes-{row['older']}-capacity": "60"})
    data[f"classes-{row['infant']}-DELETE"] = "on"
    new = int(data["classes-TOTAL_FORMS"])
    data.update(
        {
            "classes-TOTAL_FORMS": str(new + 1),
            f"classes-{new}-class_type": ClassType.TODDLER,
            f"classes-{new}-class_count": "1",
            f"classes-{new}-capacity": "15",
        }
    )
    assert client.post(change_url(inst), data).status_code == 302

    page = client.get(reverse("admin:registry_institution_history", args=[inst.pk])).content.decode()
    table = page[page.index('<table id="class-history"') :]
    table = table[: table.index("</table>")]
    rows = {r[: r.index("</tr>")] for r in table.split("<tr")[2:]}  # after the header row
    with translation.override("zh-hans"):
        older, infant, toddler = (str(t.label) for t in (ClassType.OLDER, ClassType.INFANT, ClassType.TODDLER))
        when = timezone.localtime(InstitutionClass.history.filter(capacity=60).get().history_date)
    assert before <= when

    changed = next(r for r in rows if "class-change-changed" in r)
    assert older in changed and "health" in changed  # which class, and who
    assert change_text(class_label("class_count"), 2, 3) in changed  # what, old → new
    assert change_text(class_label("capacity"), 40, 60) in changed
    assert str(when.year) in changed  # when
    removed = [r for r in rows if "class-change-removed" in r]
    assert len(removed) == 1 and infant in removed[0] and "health" in removed[0]
    assert change_text(class_label("capacity"), 10, "—") in removed[0]
    added = [r for r in rows if "class-change-added" in r and "health" in r]
    assert len(added) == 1 and toddler in added[0]
    assert change_text(class_label("capacity"), "—", 15) in added[0]

    # Another street's office still cannot open the page at all.
    assert (
        admin_client_for(wuma_user).get(reverse("admin:registry_institution_history", args=[inst.pk])).status_code
        == 404
    )


def test_a_history_version_can_be_viewed(admin_client_for, health_user):
    inst = InstitutionFactory(name="旧版本名称", status=InstitutionStatus.REGISTERED)  # one history row
    first = inst.history.get()
    inst.name = "新版本名称"
    inst.save()
    client = admin_client_for(health_user)

    response = client.get(reverse("admin:registry_institution_simple_history", args=[inst.pk, first.history_id]))

    assert response.status_code == 200
    assert "旧版本名称" in response.content.decode()


# --- export ---------------------------------------------------------------------------------


@pytest.fixture
def mix(db):
    InstitutionFactory(name="五马贝乐托育", inclusive=False)
    InstitutionFactory(
        name="五马幼儿园托班", kind=InstitutionKind.NURSERY_CLASS, ownership=Ownership.PUBLIC, inclusive=True
    )
    InstitutionFactory(name="七都普惠托育中心", street=street(QIDU), inclusive=True, status=InstitutionStatus.FILED)
    InstitutionFactory(name="七都家庭托育点", street=street(QIDU), kind=InstitutionKind.FAMILY)


def exported(client, query):
    response = client.get(EXPORT, query)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="institutions-')
    rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
    return rows[0], {row[0] for row in rows[1:]}


@pytest.mark.parametrize(
    "query, expected",
    [
        ({}, {"五马贝乐托育", "五马幼儿园托班", "七都普惠托育中心", "七都家庭托育点"}),
        ({"kind__exact": "nursery_class"}, {"五马幼儿园托班"}),
        ({"inclusive__exact": "1"}, {"五马幼儿园托班", "七都普惠托育中心"}),
        ({"status__exact": "filed"}, {"七都普惠托育中心"}),
        ({"ownership__exact": "public"}, {"五马幼儿园托班"}),
        ({"q": "七都"}, {"七都普惠托育中心", "七都家庭托育点"}),
        ({"q": "托育", "street__id__exact": "QIDU"}, {"七都普惠托育中心", "七都家庭托育点"}),
    ],
)
def test_the_export_is_the_filtered_changelist(admin_client_for, health_user, mix, query, expected):
    client = admin_client_for(health_user)
    query = {k: street(QIDU).pk if v == "QIDU" else v for k, v in query.items()}

    header, names = exported(client, query)

    assert names == expected
    listed = {i.name for i in client.get(CHANGELIST, query).context["cl"].result_list}
    assert names == listed
    with translation.override("zh-hans"):
        assert header[:2] == (
            str(Institution._meta.get_field("name").verbose_name),
            str(Institution._meta.get_field("credit_code").verbose_name),
        )


def test_the_export_search_finds_a_credit_code(admin_client_for, health_user, mix):
    target = Institution.objects.get(name="七都家庭托育点")
    _header, names = exported(admin_client_for(health_user), {"q": target.credit_code})
    assert names == {"七都家庭托育点"}


def test_the_changelist_links_to_the_export_with_its_filters(admin_client_for, health_user, mix):
    page = admin_client_for(health_user).get(CHANGELIST, {"kind__exact": "family"}).content.decode()
    assert f'href="{EXPORT}?kind__exact=family"' in page


# --- closing and status transitions ---------------------------------------------------------


def close_action(client, inst, **step):
    return client.post(CHANGELIST, {"action": "close", "_selected_action": [inst.pk], "apply": "1", **step})


def test_closing_in_the_admin_archives_and_freezes_the_institution(admin_client_for, health_user):
    inst = InstitutionFactory(name="瓯江托育", status=InstitutionStatus.OPERATING)
    InstitutionClassFactory(institution=inst)
    client = admin_client_for(health_user)
    rows = inst.history.count()
    data = form_data(client, change_url(inst))

    response = close_action(client, inst, reason="注销登记，幼儿已转入五马阳光托育园")

    assert response.status_code == 302
    inst.refresh_from_db()
    assert inst.status == InstitutionStatus.CLOSED
    assert inst.archived is True
    assert inst.archived_by == health_user
    assert inst.closed_on == timezone.localdate()
    # Nothing deleted: the record, its classes and its history stay.
    assert Institution.objects.filter(pk=inst.pk).exists()
    assert inst.classes.count() == 1
    assert inst.history.count() == rows + 1

    page = client.get(change_url(inst))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()

    data["name"] = "改名"
    assert client.post(change_url(inst), data).status_code == 403
    inst.refresh_from_db()
    assert inst.name == "瓯江托育"
    assert client.get(reverse("admin:registry_institution_delete", args=[inst.pk])).status_code == 403
    # The list still shows it.
    assert inst in client.get(CHANGELIST, {"status__exact": "closed"}).context["cl"].result_list


def suspend_today(client, inst, **kwargs):
    """The admin's suspend action on ``inst``, applied from today with a reason."""
    return client.post(
        CHANGELIST,
        {
            "action": "suspend",
            "_selected_action": [inst.pk],
            "apply": "1",
            "effective_on": timezone.localdate().isoformat(),
            "reason": "整改",
        },
        **kwargs,
    )


def test_an_invalid_transition_is_refused_with_a_clear_message(admin_client_for, health_user):
    inst = InstitutionFactory(status=InstitutionStatus.REGISTERED)
    client = admin_client_for(health_user)
    rows = inst.history.count()

    response = suspend_today(client, inst, follow=True)

    assert response.status_code == 200
    shown = " ".join(str(m) for m in response.context["messages"])
    with translation.override("zh-hans"):
        registered = str(InstitutionStatus.REGISTERED.label)
    assert inst.name in shown and registered in shown
    inst.refresh_from_db()
    assert inst.status == InstitutionStatus.REGISTERED
    assert inst.history.count() == rows


def test_the_change_form_no_longer_moves_the_status(admin_client_for, health_user):
    inst = InstitutionFactory(status=InstitutionStatus.OPERATING, operating_since=datetime.date(2024, 5, 6))
    client = admin_client_for(health_user)

    data = form_data(client, change_url(inst))
    data["status"] = InstitutionStatus.SUSPENDED  # not a field of the form: ignored
    data["suspended_on"] = "2025-01-02"
    assert client.post(change_url(inst), data).status_code == 302

    inst.refresh_from_db()
    assert inst.status == InstitutionStatus.OPERATING
    assert inst.suspended_on is None
    assert inst.operating_since == datetime.date(2024, 5, 6)


def test_a_valid_transition_stamps_its_date(admin_client_for, health_user):
    inst = InstitutionFactory(status=InstitutionStatus.OPERATING, operating_since=datetime.date(2024, 5, 6))
    client = admin_client_for(health_user)

    response = suspend_today(client, inst)
    assert response.status_code == 302

    inst.refresh_from_db()
    assert inst.status == InstitutionStatus.SUSPENDED
    assert inst.suspended_on == timezone.localdate()
    assert inst.operating_since == datetime.date(2024, 5, 6)


def test_a_filter_the_admin_does_not_understand_leads_back_to_the_list(admin_client_for, health_user, mix):
    response = admin_client_for(health_user).get(EXPORT, {"no_such_field__exact": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?e=1"


def test_exported_text_never_becomes_a_formula(admin_client_for, health_user):
    InstitutionFactory(name='=HYPERLINK("http://example.invalid","点我")', address="=1+1")

    response = admin_client_for(health_user).get(EXPORT)

    sheet = load_workbook(BytesIO(response.content)).active
    name, address = sheet["A2"], sheet["L2"]
    assert (name.value, name.data_type) == ('=HYPERLINK("http://example.invalid","点我")', "s")
    assert (address.value, address.data_type) == ("=1+1", "s")


# --- streets and their populations ----------------------------------------------------------


def test_the_bureau_enters_a_streets_population_by_year(admin_client_for, health_user, wuma_user):
    from registry.models import StreetPopulation

    wuma = street()
    StreetPopulation.objects.create(street=wuma, year=2021, population=61200)
    url = reverse("admin:registry_street_change", args=[wuma.pk])
    client = admin_client_for(health_user)

    data = form_data(client, url)
    data.update({"populations-TOTAL_FORMS": "2", "populations-1-year": "2021", "populations-1-population": "1"})
    refused = client.post(url, data)
    assert refused.status_code == 200  # one figure per street and year
    assert StreetPopulation.objects.count() == 1

    data.update({"populations-1-year": "2024", "populations-1-population": "63500", "populations-1-source": "统计年鉴"})
    assert client.post(url, data).status_code == 302
    latest = wuma.current_population()
    assert (latest.year, latest.population, latest.modified_by) == (2024, 63500, health_user)
    assert latest.history.get().history_user == health_user

    office = admin_client_for(wuma_user)
    assert office.get(url).status_code == 200
    assert office.post(url, data).status_code == 403


def test_each_population_row_on_the_street_page_links_to_its_history(admin_client_for, health_user, wuma_user):
    from registry.models import StreetPopulation

    wuma = street()
    population = StreetPopulation.objects.create(street=wuma, year=2021, population=61200, source="统计年鉴")
    url = reverse("admin:registry_street_change", args=[wuma.pk])
    client = admin_client_for(health_user)

    data = form_data(client, url)
    data.update({"populations-0-population": "61800", "populations-0-source": "统计年鉴（修订）"})
    assert client.post(url, data).status_code == 302

    history_url = reverse("admin:registry_streetpopulation_history", args=[population.pk])
    assert f'href="{history_url}"' in client.get(url).content.decode()  # reachable from the street page
    page = client.get(history_url).content.decode()
    assert "health" in page  # who
    with translation.override("zh-hans"):
        label = str(StreetPopulation._meta.get_field("population").verbose_name)
    assert change_text(label, 61200, 61800) in page  # what, old → new

    # Street offices see the figures and their history, but cannot change them.
    office = admin_client_for(wuma_user)
    assert f'href="{history_url}"' in office.get(url).content.decode()
    assert office.get(history_url).status_code == 200
