"""Nothing of the media folder is reachable by URL: no route serves MEDIA_URL, WhiteNoise serves the
static files only, and the uploads storage makes no URL for a file."""

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve

from luchen_care.files.services import stored_file_save
from luchen_care.files.storage import uploads_storage

from .samples import pdf_bytes, stored_paths, upload

pytestmark = pytest.mark.django_db


def test_no_url_reaches_a_file_under_media_root(client, owner, institution, media, health_user):
    stored = stored_file_save(
        actor=owner, subject=institution, purpose="registry.other", upload=upload("a.pdf", pdf_bytes("SECRET-SCAN"))
    )
    # Another file directly in the media folder (an import's upload is kept there too).
    (media / "imports").mkdir(parents=True)
    (media / "imports" / "registrations.xlsx").write_bytes(b"PK-SECRET-SHEET")
    (path,) = [p for p in stored_paths(media) if p.startswith("uploads/")]
    relative = path.removeprefix("uploads/")
    candidates = [
        f"/{settings.MEDIA_URL}{path}",
        f"/{settings.MEDIA_URL}{relative}",
        f"/{settings.MEDIA_URL}imports/registrations.xlsx",
        f"/{path}",
        f"/{settings.STATIC_URL}{path}",
        f"/{settings.STATIC_URL}../media/{path}",
        f"/{settings.STATIC_URL}%2e%2e/media/{path}",
        f"/files/{path}",
        f"/files/{stored.file.name}",
        f"/portal/{path}",
    ]
    for signed_in in (None, owner, health_user):
        if signed_in:
            client.force_login(signed_in)
        for url in candidates:
            response = client.get(url)
            content = b"".join(response.streaming_content) if response.streaming else response.content
            assert response.status_code in (301, 302, 404), (url, response.status_code)
            assert b"SECRET" not in content, url


def test_no_url_pattern_routes_the_media_url():
    for url in (f"/{settings.MEDIA_URL}", f"/{settings.MEDIA_URL}uploads/x.pdf", "/uploads/x.pdf"):
        with pytest.raises(Resolver404):
            resolve(url)


def test_the_media_folder_is_apart_from_what_whitenoise_serves():
    media = str(settings.MEDIA_ROOT)
    static = [str(settings.STATIC_ROOT), *map(str, settings.STATICFILES_DIRS)]
    assert all(not media.startswith(s) and not s.startswith(media) for s in static)
    assert not getattr(settings, "WHITENOISE_ROOT", None)


def test_the_uploads_storage_makes_no_url(owner, institution):
    stored = stored_file_save(
        actor=owner, subject=institution, purpose="registry.other", upload=upload("a.pdf", pdf_bytes())
    )
    with pytest.raises(NotImplementedError):
        uploads_storage.url(stored.file.name)
    with pytest.raises(NotImplementedError):
        stored.file.url  # noqa: B018
