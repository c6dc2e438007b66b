"""The institution's own documents in the portal (/portal/documents/): it lists its current files,
uploads one, replaces one (the old stays under it, in the history) and downloads them through
files:download; nobody else's files, and nobody else's page."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from luchen_care.accounts.models import Role, User
from luchen_care.files.models import StoredFile
from luchen_care.files.services import stored_file_save
from registry.models import InstitutionDocument
from tests.factories import InstitutionFactory
from tests.files.samples import ELF, image_bytes, pdf_bytes, png_with_broken_body, stored_paths, upload

pytestmark = pytest.mark.django_db
URL = "/portal/documents/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def institution():
    return InstitutionFactory(name="鹿城小太阳托育园")


@pytest.fixture
def owner(institution):
    return User.objects.create_user(username="jigou", role=Role.INSTITUTION, institution=institution)


@pytest.fixture
def portal(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def other_file(health_user):
    other = InstitutionFactory(name="别家托育园")
    return stored_file_save(
        actor=health_user,
        subject=other,
        purpose=InstitutionDocument.BUSINESS_LICENCE,
        upload=upload("别家营业执照.pdf", pdf_bytes()),
    )


def text(response):
    return response.content.decode()


def test_the_page_is_in_the_menu_and_at_its_url(portal):
    assert reverse("registry_portal:documents") == URL
    page = portal.get(URL)
    assert page.status_code == 200
    assert f'href="{URL}" aria-current="page"' in text(page)
    assert 'enctype="multipart/form-data"' in text(page)
    assert 'name="viewport"' in text(page)  # the portal's phone frame


def test_an_institution_uploads_a_document_and_sees_it_listed(portal, owner, institution, other_file):
    response = portal.post(
        URL, {"purpose": InstitutionDocument.BUSINESS_LICENCE, "file": upload("营业执照.pdf", pdf_bytes())}, follow=True
    )

    (stored,) = StoredFile.objects.filter(subject_id=institution.pk, superseded_by=None)
    assert stored.purpose == InstitutionDocument.BUSINESS_LICENCE and stored.uploaded_by == owner
    page = text(response)
    assert response.redirect_chain == [(URL, 302)]
    assert "营业执照.pdf" in page
    assert reverse("files:download", args=[stored.public_id]) in page
    with translation.override("zh-hans"):
        assert str(InstitutionDocument.BUSINESS_LICENCE.label) in page
    # Nobody else's file is listed.
    assert "别家营业执照.pdf" not in page and str(other_file.public_id) not in page


@pytest.mark.parametrize(
    ("file", "fragment"),
    [
        (upload("营业执照.pdf", ELF), "its content is of type ELF"),
        (upload("照片.png", png_with_broken_body(), "image/png"), "is a damaged image"),
        (upload("扫描件.pdf", b"%PDF-1.4 not really"), "is a damaged PDF"),
    ],
    ids=["executable renamed .pdf", "broken PNG", "PDF that does not open"],
)
def test_a_refused_file_is_answered_on_the_form_and_nothing_is_stored(portal, media, file, fragment):
    with translation.override("en"):
        response = portal.post(
            URL, {"purpose": InstitutionDocument.FIRE_SAFETY, "file": file}, HTTP_ACCEPT_LANGUAGE="en"
        )

    assert response.status_code == 400
    errors = response.context["form"].errors
    with translation.override("en"):
        assert list(errors) == ["file"] and fragment in errors["file"][0]
    assert '<ul class="errorlist"' in text(response)
    assert not StoredFile.objects.exists() and stored_paths(media) == []


def test_a_file_over_the_limit_is_refused_on_the_form(portal, media, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    response = portal.post(
        URL, {"purpose": InstitutionDocument.OTHER, "file": upload("大.png", image_bytes("PNG", (400, 400)))}
    )
    assert response.status_code == 400 and "file" in response.context["form"].errors
    assert not StoredFile.objects.exists() and stored_paths(media) == []


def test_a_document_needs_its_purpose(portal, media):
    response = portal.post(URL, {"purpose": "", "file": upload("a.pdf", pdf_bytes())})
    assert response.status_code == 400 and list(response.context["form"].errors) == ["purpose"]
    assert not StoredFile.objects.exists() and stored_paths(media) == []


def test_replacing_keeps_the_old_file_under_the_new_one(portal, owner, institution, media):
    old = stored_file_save(
        actor=owner,
        subject=institution,
        purpose=InstitutionDocument.REGISTRATION_CERTIFICATE,
        upload=upload("登记证书2024.pdf", pdf_bytes()),
    )

    response = portal.post(
        URL, {"replaces": str(old.public_id), "file": upload("登记证书2026.png", image_bytes("PNG"))}, follow=True
    )

    old.refresh_from_db()
    new = old.superseded_by
    assert new is not None and new.purpose == InstitutionDocument.REGISTRATION_CERTIFICATE
    page = text(response)
    card = re.search(
        rf'<article class="card document" id="document-{new.public_id}">(.*?)</article>', page, re.S
    ).group(1)
    # The old file is shown under its replacement, still downloadable.
    assert card.index("登记证书2026.png") < card.index("登记证书2024.pdf")
    assert reverse("files:download", args=[old.public_id]) in card
    assert f'id="document-{old.public_id}"' not in page  # no longer a current document
    assert len(stored_paths(media)) == 2
    assert portal.get(reverse("files:download", args=[old.public_id])).status_code == 200


def test_another_institutions_file_cannot_be_replaced(portal, other_file, media):
    response = portal.post(URL, {"replaces": str(other_file.public_id), "file": upload("x.pdf", pdf_bytes())})

    assert response.status_code == 400 and "replaces" in response.context["form"].errors
    other_file.refresh_from_db()
    assert other_file.superseded_by is None and StoredFile.objects.count() == 1
    assert "别家营业执照.pdf" not in text(response)


def test_another_institutions_upload_is_404_by_link_and_by_guessed_url(portal, other_file):
    import uuid

    assert portal.get(reverse("files:download", args=[other_file.public_id])).status_code == 404
    assert portal.get(reverse("files:download", args=[uuid.uuid4()])).status_code == 404


def test_other_roles_get_no_page_and_upload_nothing(client, health_user, media):
    client.force_login(health_user)
    assert client.get(URL).status_code == 404
    assert (
        client.post(URL, {"purpose": InstitutionDocument.OTHER, "file": upload("a.pdf", pdf_bytes())}).status_code
        == 404
    )
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
    assert not StoredFile.objects.exists() and stored_paths(media) == []


def test_staff_see_the_institutions_files_on_its_admin_page(client, health_user, owner, institution, other_file):
    stored = stored_file_save(
        actor=owner,
        subject=institution,
        purpose=InstitutionDocument.FIRE_SAFETY,
        upload=upload("消防验收.pdf", pdf_bytes()),
    )
    client.force_login(health_user)
    page = text(client.get(reverse("admin:registry_institution_change", args=[institution.pk])))

    assert 'id="institution-documents"' in page and "消防验收.pdf" in page
    assert reverse("files:download", args=[stored.public_id]) in page
    assert "别家营业执照.pdf" not in page
    assert client.get(reverse("files:download", args=[stored.public_id])).status_code == 200


def test_the_page_fits_a_phone(portal, owner, institution):
    stored_file_save(
        actor=owner, subject=institution, purpose=InstitutionDocument.OTHER, upload=upload("其他.pdf", pdf_bytes())
    )
    page = text(portal.get(URL))
    # Touch-sized controls from the portal's stylesheet: file inputs, buttons; no fixed widths.
    assert 'type="file"' in page and 'class="primary"' in page
    assert "width:" not in page and "style=" not in page
