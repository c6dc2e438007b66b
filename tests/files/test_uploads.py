"""What an upload must be, and what is kept of it: refusals store nothing; a kept file records
who, when, its checksum, size and type by content; replacing one keeps the old in the history."""

import datetime
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from luchen_care.files.models import StoredFile
from luchen_care.files.services import stored_file_save
from luchen_care.files.storage import uploads_storage

from .samples import (
    ELF,
    PE,
    image_bytes,
    pdf_bytes,
    png_blank,
    png_bomb,
    png_with_broken_body,
    stored_paths,
    upload,
)

pytestmark = pytest.mark.django_db
PURPOSE = "registry.business_licence"


def refusal(actor, subject, file):
    """The message of the refusal of ``file`` (in English), asserting it was keyed to ``file``."""
    with pytest.raises(ValidationError) as caught:
        stored_file_save(actor=actor, subject=subject, purpose=PURPOSE, upload=file)
    with translation.override("en"):
        errors = caught.value.message_dict
        assert list(errors) == ["file"]
        return " ".join(errors["file"])


@pytest.mark.parametrize(
    ("file", "expected"),
    [
        (upload("营业执照.pdf", ELF), "“营业执照.pdf” is not a PDF, JPEG or PNG file: its content is of type ELF"),
        (upload("licence.pdf", PE), "“licence.pdf” is not a PDF, JPEG or PNG file: its content is of type EXE"),
        (
            upload("notes.pdf", b"just some text, not a document\n" * 20),
            "is not a PDF, JPEG or PNG file by its content",
        ),
        (
            upload("photo.png", png_with_broken_body(), "image/png"),
            "“photo.png” is a damaged image that cannot be opened.",
        ),
        (
            upload("scan.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF garbage"),
            "is a damaged PDF that cannot be opened",
        ),
        (upload("huge.png", png_bomb(), "image/png"), "“huge.png” is too large an image to open safely."),
        (upload("empty.pdf", b""), "“empty.pdf” is empty."),
    ],
    ids=[
        "ELF renamed .pdf",
        "PE renamed .pdf",
        "text renamed .pdf",
        "PNG broken body",
        "PDF that does not open",
        "decompression bomb",
        "empty",
    ],
)
def test_each_refusal_says_what_is_wrong_and_stores_nothing(owner, institution, media, file, expected):
    message = refusal(owner, institution, file)

    assert expected in message
    assert not StoredFile.objects.exists() and not StoredFile.history.exists()
    assert stored_paths(media) == []


def test_a_file_over_the_limit_is_refused_before_it_is_read(owner, institution, media, settings):
    settings.UPLOAD_MAX_BYTES = 2 * 1024 * 1024
    big = pdf_bytes() + b"%" + b"x" * (3 * 1024 * 1024)

    message = refusal(owner, institution, upload("大文件.pdf", big))

    assert "“大文件.pdf” is 3.0 MB; the largest file accepted is 2.0 MB." in message.replace("\xa0", " ")
    assert not StoredFile.objects.exists() and stored_paths(media) == []


def test_an_image_of_more_pixels_than_the_limit_is_refused_before_it_is_decoded(owner, institution, media):
    # 8000 × 6000 = 48 megapixels in a 13 kB file: under Pillow's own limit (about 89 megapixels),
    # a sound PNG that decodes, and over the default UPLOAD_MAX_PIXELS (40 megapixels).
    data = png_blank(8000, 6000)
    assert len(data) < 20_000

    with pytest.raises(ValidationError) as caught:
        stored_file_save(
            actor=owner, subject=institution, purpose=PURPOSE, upload=upload("扫描件.png", data, "image/png")
        )

    [error] = caught.value.error_dict["file"]
    assert error.code == "image_too_large"
    assert caught.value.message_dict["file"] == [
        "“扫描件.png”的图像为 8000 × 6000 像素（48 百万像素），最大接受 40 百万像素。"
        "请以较低分辨率重新扫描或拍照，或缩小图片后再上传。"
    ]  # the suite runs in the platform's language, Chinese
    with translation.override("en"):
        assert caught.value.message_dict["file"] == [
            "“扫描件.png” is an image of 8000 × 6000 pixels (48 megapixels); the largest image accepted is "
            "40 megapixels. Scan or photograph it at a lower resolution, or shrink it, and upload it again."
        ]
    assert not StoredFile.objects.exists() and not StoredFile.history.exists()
    assert stored_paths(media) == []


def test_the_pixel_limit_is_a_setting_and_an_image_at_the_limit_is_kept(owner, institution, media, settings):
    settings.UPLOAD_MAX_PIXELS = 1_000_000

    message = refusal(owner, institution, upload("wide.png", png_blank(1001, 1000), "image/png"))
    assert "1001 × 1000 pixels (1.1 megapixels); the largest image accepted is 1 megapixels." in message
    assert not StoredFile.objects.exists() and stored_paths(media) == []

    kept = stored_file_save(
        actor=owner, subject=institution, purpose=PURPOSE, upload=upload("ok.png", png_blank(1000, 1000), "image/png")
    )
    assert kept.content_type == "image/png" and len(stored_paths(media)) == 1


def test_the_refusal_is_in_the_users_language(owner, institution):
    with pytest.raises(ValidationError) as caught:
        stored_file_save(actor=owner, subject=institution, purpose=PURPOSE, upload=upload("a.pdf", ELF))
    chinese = caught.value.messages[0]  # the suite runs in the platform's language, Chinese
    with translation.override("en"):
        english = caught.value.messages[0]
    assert "ELF" in chinese and "ELF" in english  # the kind found is named, whatever the language


@pytest.mark.parametrize(
    ("name", "data", "claimed", "content_type"),
    [
        ("营业执照.pdf", pdf_bytes(), "application/octet-stream", "application/pdf"),
        ("消防验收.jpg", image_bytes("JPEG"), "image/png", "image/jpeg"),
        ("登记证书.png", image_bytes("PNG"), "application/pdf", "image/png"),
    ],
    ids=["pdf", "jpeg", "png"],
)
def test_a_sound_file_is_kept_with_its_checksum_size_type_and_who_when(
    owner, institution, media, name, data, claimed, content_type
):
    before = timezone.now()
    stored = stored_file_save(actor=owner, subject=institution, purpose=PURPOSE, upload=upload(name, data, claimed))

    stored.refresh_from_db()
    assert stored.subject == institution and stored.purpose == PURPOSE
    assert stored.original_name == name
    assert stored.content_type == content_type  # by content, not by what the browser claimed
    assert stored.size == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.uploaded_by == owner
    assert before <= stored.uploaded_at <= timezone.now() + datetime.timedelta(seconds=1)
    # Kept under MEDIA_ROOT/uploads/, under a random name that is not the uploaded one.
    (path,) = stored_paths(media)
    assert path.startswith("uploads/") and path.endswith("." + stored.extension)
    assert name.rsplit(".", 1)[0] not in path
    assert (media / path).read_bytes() == data
    # Its history says who.
    (created,) = stored.history.all()
    assert created.history_type == "+" and created.history_user == owner


def test_two_uploads_of_the_same_name_are_two_files(owner, institution, media):
    first = stored_file_save(actor=owner, subject=institution, purpose=PURPOSE, upload=upload("a.pdf", pdf_bytes("1")))
    second = stored_file_save(actor=owner, subject=institution, purpose=PURPOSE, upload=upload("a.pdf", pdf_bytes("2")))

    assert first.file.name != second.file.name and first.public_id != second.public_id
    assert len(stored_paths(media)) == 2


def test_replacing_a_file_keeps_the_old_one_in_its_history(owner, institution, media):
    old_data, new_data = pdf_bytes("old"), image_bytes("PNG")
    old = stored_file_save(actor=owner, subject=institution, purpose=PURPOSE, upload=upload("旧执照.pdf", old_data))

    new = stored_file_save(
        actor=owner, subject=institution, purpose="ignored", upload=upload("新执照.png", new_data), replaces=old
    )

    old.refresh_from_db()
    assert old.superseded_by == new and old.superseded_at == new.uploaded_at
    assert new.purpose == PURPOSE  # a replacement is of the same document
    assert new.superseded_by is None
    # The old file is still stored, unchanged; both are in the media folder.
    with uploads_storage.open(old.file.name) as handle:
        assert handle.read() == old_data
    assert len(stored_paths(media)) == 2
    changes = list(old.history.order_by("history_id"))
    assert [h.history_type for h in changes] == ["+", "~"]
    assert changes[-1].superseded_by_id == new.pk and changes[-1].history_user == owner


def test_a_file_is_replaced_once(owner, institution, media):
    old = stored_file_save(actor=owner, subject=institution, purpose=PURPOSE, upload=upload("a.pdf", pdf_bytes()))
    stored_file_save(
        actor=owner, subject=institution, purpose=PURPOSE, upload=upload("b.pdf", pdf_bytes()), replaces=old
    )

    with pytest.raises(ValidationError) as caught:
        stored_file_save(
            actor=owner, subject=institution, purpose=PURPOSE, upload=upload("c.pdf", pdf_bytes()), replaces=old
        )

    with translation.override("en"):
        assert "already been replaced" in caught.value.message_dict["replaces"][0]
    assert StoredFile.objects.count() == 2 and len(stored_paths(media)) == 2


def test_a_file_of_another_record_cannot_be_replaced(owner, institution, other_institution, media, health_user):
    theirs = stored_file_save(
        actor=health_user, subject=other_institution, purpose=PURPOSE, upload=upload("theirs.pdf", pdf_bytes())
    )

    with pytest.raises(ValidationError) as caught:
        stored_file_save(
            actor=owner, subject=institution, purpose=PURPOSE, upload=upload("x.pdf", pdf_bytes()), replaces=theirs
        )

    assert "replaces" in caught.value.message_dict
    theirs.refresh_from_db()
    assert theirs.superseded_by is None and StoredFile.objects.count() == 1 and len(stored_paths(media)) == 1


def test_nobody_stores_a_file_on_a_record_they_cannot_see(owner, other_institution, media):
    with pytest.raises(PermissionDenied):
        stored_file_save(actor=owner, subject=other_institution, purpose=PURPOSE, upload=upload("a.pdf", pdf_bytes()))

    assert not StoredFile.objects.exists() and stored_paths(media) == []


def test_a_file_is_visible_exactly_as_its_subject_is(owner, stranger, institution, health_user, wuma_user, media):
    stored = stored_file_save(actor=owner, subject=institution, purpose=PURPOSE, upload=upload("a.pdf", pdf_bytes()))
    in_wuma = institution.street.code == "330302006"

    assert list(StoredFile.objects.visible_to(owner)) == [stored]
    assert list(StoredFile.objects.visible_to(health_user)) == [stored]
    assert list(StoredFile.objects.visible_to(stranger)) == []
    assert StoredFile.objects.visible_to(wuma_user).exists() == in_wuma


def test_the_kept_name_is_the_files_own_printable_name(owner, institution):
    file = upload("x.pdf", pdf_bytes())
    file.name = "C:\\扫描\\营业\x00执照\u202e.pdf"
    stored = stored_file_save(actor=owner, subject=institution, purpose=PURPOSE, upload=file)
    assert stored.original_name == "营业执照.pdf"
