"""The first real document: a registration's receipt (登记回执), from its admin page, for those who see it."""

import hashlib

import pytest
from django.urls import reverse

from luchen_care.accounts.models import Authority, Role
from luchen_care.audit.models import AccessAction, Face, PersonalDataAccess
from luchen_care.documents.models import IssuedDocument
from registry.services.receipts import REGISTRATION_RECEIPT
from tests.factories import RegistrationFactory, UserFactory

from .pdftools import fonts_of, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def registration(market_user):
    return RegistrationFactory(
        actor=market_user,
        authority=Authority.MARKET_REGULATION,
        registration_number="330302MA-回执-001",
        institution_name="鹿城区五马街道小海豚托育园",
        legal_representative="欧阳晓燕",
        address="温州市鹿城区五马街道解放街8号",
    )


def receipt_url(registration):
    return reverse("admin:registry_registration_receipt", args=[registration.pk])


def flat(text):
    return "".join(text.split())


def test_the_change_page_links_to_the_receipt(admin_client_for, market_user, registration):
    client = admin_client_for(market_user)
    response = client.get(reverse("admin:registry_registration_change", args=[registration.pk]))
    assert response.status_code == 200
    assert f'href="{receipt_url(registration)}"' in response.content.decode()
    assert "登记回执（PDF）" in response.content.decode()


def test_the_receipt_prints_the_registration_with_the_name_masked(
    admin_client_for, market_user, registration, tmp_path
):
    client = admin_client_for(market_user)
    response = client.get(receipt_url(registration))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()
    path = tmp_path / "receipt.pdf"
    path.write_bytes(response.content)
    assert all(font["embedded"] for font in fonts_of(path))
    text = flat(text_of(path))
    document = IssuedDocument.objects.get()
    for expected in (
        "温州市鹿城区卫生健康局",
        "托育机构登记回执",
        "鹿城区五马街道小海豚托育园",
        "330302MA-回执-001",
        str(Authority.MARKET_REGULATION.label),
        "五马街道",
        "欧***",  # the legal representative, masked
        f"核验码：{document.display_code}",
        "本回执仅证明登记信息已送达本平台",
    ):
        assert flat(expected) in text, expected
    assert "欧阳晓燕" not in text
    assert document.kind == REGISTRATION_RECEIPT.key and document.subject == registration
    assert document.issued_by == market_user and document.county.code == "330302"
    assert hashlib.sha256(response.content).hexdigest() == document.sha256


def test_the_receipt_is_issued_once_and_served_the_same_after(admin_client_for, market_user, health_user, registration):
    first = admin_client_for(market_user).get(receipt_url(registration))
    again = admin_client_for(health_user).get(receipt_url(registration))
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert IssuedDocument.objects.count() == 1
    assert IssuedDocument.objects.get().issued_by == market_user  # the first who asked for it


def test_the_issued_receipt_is_seen_as_its_registration_is(admin_client_for, market_user, registration):
    admin_client_for(market_user).get(receipt_url(registration))
    document = IssuedDocument.objects.get()
    civil = UserFactory(username="civil", role=Role.REGISTRATION_AUTHORITY, authority=Authority.CIVIL_AFFAIRS)
    assert list(IssuedDocument.objects.visible_to(market_user)) == [document]
    assert list(IssuedDocument.objects.visible_to(civil)) == []


def test_each_download_is_in_the_access_log(admin_client_for, market_user, registration):
    admin_client_for(market_user).get(receipt_url(registration))
    entry = PersonalDataAccess.objects.get(face=Face.DOWNLOAD)
    assert entry.user == market_user and entry.action == AccessAction.DOWNLOAD
    assert entry.record_type == "registry.registration" and entry.record_ids == [registration.pk]
    assert entry.county.code == "330302"


@pytest.mark.parametrize(
    "spec",
    [
        {"role": Role.REGISTRATION_AUTHORITY, "authority": Authority.CIVIL_AFFAIRS},  # another authority
        {"role": Role.STREET_OFFICE, "street": "330302023"},  # 七都: the institution is in 五马
    ],
    ids=["other-authority", "other-street"],
)
def test_out_of_scope_staff_get_404_and_nothing_is_issued(admin_client_for, registration, spec):
    from tests.factories import street

    if "street" in spec:
        spec = {**spec, "street": street(spec["street"])}
    outsider = UserFactory(username="outsider", **spec)
    response = admin_client_for(outsider).get(receipt_url(registration))
    assert response.status_code == 404
    assert "小海豚" not in response.content.decode()
    assert IssuedDocument.objects.count() == 0 and not PersonalDataAccess.objects.filter(face=Face.DOWNLOAD).exists()


def test_anonymous_is_sent_to_the_login_page(client, registration):
    response = client.get(receipt_url(registration))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    assert IssuedDocument.objects.count() == 0


def test_an_unknown_registration_is_404(admin_client_for, health_user):
    response = admin_client_for(health_user).get(reverse("admin:registry_registration_receipt", args=[999_999]))
    assert response.status_code == 404


def test_the_receipt_verifies_publicly_without_personal_data(admin_client_for, market_user, registration, client):
    admin_client_for(market_user).get(receipt_url(registration))
    client.logout()
    document = IssuedDocument.objects.get()
    response = client.get(reverse("documents:verify", args=[document.code]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "登记回执" in text and "鹿城区五马街道小海豚托育园" in text and "330302MA-回执-001" in text
    assert document.sha256 in text
    for personal in ("欧阳晓燕", "欧***", "解放街8号"):
        assert personal not in text
