"""Downloads: only through files:download, for whoever sees the file's subject; 404 for anyone
else, by link or by a guessed URL alike; sent as an attachment, never sniffed or cached; logged."""

import uuid
from urllib.parse import quote

import pytest
from django.urls import reverse

from luchen_care.audit.models import AccessAction, Face, PersonalDataAccess
from luchen_care.files.models import StoredFile
from luchen_care.files.services import stored_file_save

from .samples import image_bytes, pdf_bytes, upload

pytestmark = pytest.mark.django_db
NAME = "营业执照（2026年）.pdf"


@pytest.fixture
def licence(owner, institution):
    return stored_file_save(
        actor=owner,
        subject=institution,
        purpose="registry.business_licence",
        upload=upload(NAME, pdf_bytes("LICENCE-MARKER"), "text/html"),  # whatever the browser claimed
    )


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_the_institution_downloads_its_own_file_as_an_attachment(client, owner, licence):
    client.force_login(owner)
    response = client.get(reverse("files:download", args=[licence.public_id]))

    assert response.status_code == 200
    assert body(response) == licence.file.open("rb").read()
    assert response["Content-Type"] == "application/pdf"  # as judged by content
    assert response["Content-Length"] == str(licence.size)
    # The Chinese name as RFC 5987 says (filename*=utf-8''…), always an attachment.
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=utf-8''{quote(NAME)}" in disposition
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"


def test_a_download_is_written_to_the_access_log(client, owner, licence, institution):
    client.force_login(owner)
    client.get(reverse("files:download", args=[licence.public_id]), REMOTE_ADDR="10.3.2.1")

    (entry,) = PersonalDataAccess.objects.all()
    assert entry.user == owner and entry.face == Face.DOWNLOAD and entry.action == AccessAction.DOWNLOAD
    assert entry.record_type == "files.storedfile" and entry.record_ids == [licence.pk]
    assert entry.record_labels == [f"{institution.name} · {NAME}"]
    assert entry.county_id == institution.street.county_id  # the bureau of the institution's county reads it
    assert entry.path == reverse("files:download", args=[licence.public_id])


def test_staff_who_see_the_institution_download_its_file(client, health_user, licence):
    client.force_login(health_user)
    response = client.get(reverse("files:download", args=[licence.public_id]))
    assert response.status_code == 200 and body(response).startswith(b"%PDF")
    assert PersonalDataAccess.objects.filter(user=health_user, face=Face.DOWNLOAD).count() == 1


def test_another_institution_gets_404_by_link_and_by_a_guessed_url(client, stranger, licence):
    client.force_login(stranger)
    by_link = client.get(reverse("files:download", args=[licence.public_id]))
    guessed = client.get(reverse("files:download", args=[uuid.uuid4()]))
    neighbour = client.get(f"/files/{str(licence.public_id)[:-1]}0/")

    for response in (by_link, guessed, neighbour):
        assert response.status_code == 404
        text = body(response).decode("utf-8", "replace")
        assert "LICENCE-MARKER" not in text and NAME not in text
    # The two 404s are the same page: nothing tells a real id from a guess.
    assert body(by_link) == body(guessed)
    assert not PersonalDataAccess.objects.exists()


def test_a_signed_out_visitor_is_sent_to_sign_in_and_gets_nothing(client, licence):
    url = reverse("files:download", args=[licence.public_id])
    staff = client.get(url)
    portal = client.get(url, HTTP_REFERER="http://testserver/portal/documents/")

    assert staff.status_code == 302 and staff["Location"].startswith(reverse("admin:login"))
    assert portal.status_code == 302 and portal["Location"].startswith(reverse("portal:login"))
    assert b"LICENCE-MARKER" not in body(staff) + body(portal)
    # A guessed id is answered exactly the same way.
    guessed = client.get(reverse("files:download", args=[uuid.uuid4()]))
    assert guessed.status_code == 302 and guessed["Location"].startswith(reverse("admin:login"))
    assert not PersonalDataAccess.objects.exists()


def test_an_image_is_sent_with_its_own_type(client, owner, institution):
    photo = stored_file_save(
        actor=owner, subject=institution, purpose="registry.other", upload=upload("现场.jpg", image_bytes("JPEG"))
    )
    client.force_login(owner)
    response = client.get(reverse("files:download", args=[photo.public_id]))
    assert response["Content-Type"] == "image/jpeg" and response["Content-Disposition"].startswith("attachment;")


def test_a_replaced_file_stays_downloadable_by_those_who_see_it(client, owner, stranger, licence, institution):
    new = stored_file_save(
        actor=owner, subject=institution, purpose="x", upload=upload("新.pdf", pdf_bytes()), replaces=licence
    )
    client.force_login(owner)
    assert client.get(reverse("files:download", args=[licence.public_id])).status_code == 200
    assert client.get(reverse("files:download", args=[new.public_id])).status_code == 200
    client.force_login(stranger)
    assert client.get(reverse("files:download", args=[licence.public_id])).status_code == 404


def test_only_get_is_answered(client, owner, licence):
    client.force_login(owner)
    assert client.post(reverse("files:download", args=[licence.public_id])).status_code == 405
    assert StoredFile.objects.count() == 1


def test_a_row_whose_file_is_missing_answers_404_not_500(client, owner, licence):
    licence.file.storage.delete(licence.file.name)
    client.force_login(owner)
    assert client.get(reverse("files:download", args=[licence.public_id])).status_code == 404
