"""What an upload must be before anything of it is stored: a PDF, JPEG or PNG by its content,
within the size limit (and an image within the pixel limit), that really opens.

``validate_upload`` reads the file only; it writes nothing. Each refusal is a ``ValidationError``
keyed to the form's field, saying what is wrong and what to do.
"""

import hashlib
import io
import warnings
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from PIL import Image
from pypdf import PdfReader

# What is accepted, by the type its content shows: content type → the extension it is stored under.
ACCEPTED = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}
HEAD_BYTES = 261  # what ``filetype`` needs to tell a type
CHUNK = 64 * 1024


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed: its type judged by content, its size and its SHA-256 (hex)."""

    content_type: str
    extension: str
    size: int
    sha256: str


def _refuse(field, message, code, **params):
    raise ValidationError({field: ValidationError(message, code=code, params=params)})


def _read_all(upload) -> bytes:
    upload.seek(0)
    data = b"".join(upload.chunks(CHUNK)) if hasattr(upload, "chunks") else upload.read()
    upload.seek(0)
    return data


def _megapixels(pixels, *, up=False) -> str:
    """``pixels`` in megapixels, to one decimal (rounded up with ``up``: an image just over the limit
    never reads as the limit itself)."""
    tenths = -(-pixels // 100_000) if up else pixels // 100_000
    return f"{tenths / 10:.1f}".removesuffix(".0")


def _check_image(data, content_type, field, name):
    """The image must be no larger than ``UPLOAD_MAX_PIXELS`` (width × height, read from its header
    before any pixel is decoded: a small file may declare an image that needs hundreds of MB to
    decode) nor than Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS), and must decode
    completely (a valid header on a broken body is refused)."""
    limit = min(settings.UPLOAD_MAX_PIXELS, Image.MAX_IMAGE_PIXELS)
    try:
        with warnings.catch_warnings():
            # Past the limit Pillow warns, past twice the limit it raises: both are refused here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:  # reads the header only
                if image.format != IMAGE_FORMATS[content_type]:
                    raise ValueError(f"{image.format} is not {IMAGE_FORMATS[content_type]}")
                width, height = image.size
                if width * height > limit:
                    _refuse(
                        field,
                        _(
                            "“%(name)s” is an image of %(width)s × %(height)s pixels (%(pixels)s megapixels); "
                            "the largest image accepted is %(limit)s megapixels. "
                            "Scan or photograph it at a lower resolution, or shrink it, and upload it again."
                        ),
                        "image_too_large",
                        name=name,
                        width=width,
                        height=height,
                        pixels=_megapixels(width * height, up=True),
                        limit=_megapixels(limit),
                    )
                image.verify()
            # verify() leaves the image unusable and skips the pixel data of some formats: decode it all.
            with Image.open(io.BytesIO(data)) as image:
                image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse(
            field,
            _(
                "“%(name)s” is too large an image to open safely. "
                "Upload a smaller scan or photo (at most %(pixels)s megapixels)."
            ),
            "image_too_large",
            name=name,
            pixels=_megapixels(limit),
        )
    except Exception:  # noqa: BLE001  (whatever a damaged file makes the decoder raise is a refusal, never a 500)
        _refuse(
            field,
            _(
                "“%(name)s” is a damaged image that cannot be opened. "
                "Scan or photograph the document again and upload the new file."
            ),
            "broken_image",
            name=name,
        )


def _check_pdf(data, field, name):
    """The PDF must open (a password-protected one cannot be read) and have a page that can be read."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            _refuse(
                field,
                _("“%(name)s” is protected by a password. Save it again without a password and upload that file."),
                "encrypted_pdf",
                name=name,
            )
        if len(reader.pages) < 1:
            raise ValueError("no page")
        page = reader.pages[0]
        page.mediabox.width, page.get_contents()  # noqa: B018  (reading them is the check)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001  (a damaged PDF makes the parser raise anything: a refusal, never a 500)
        _refuse(
            field,
            _(
                "“%(name)s” is a damaged PDF that cannot be opened. "
                "Save or scan the document as PDF again and upload the new file."
            ),
            "broken_pdf",
            name=name,
        )


def validate_upload(upload, *, field="file", max_bytes=None) -> CheckedUpload:
    """Check ``upload`` (an uploaded file); return what it is, or raise a ``ValidationError`` keyed
    to ``field``. Stores nothing. ``max_bytes``: the size limit (default ``UPLOAD_MAX_BYTES``)."""
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    name = getattr(upload, "name", "") or ""
    size = upload.size
    if size > limit:
        _refuse(
            field,
            _(
                "“%(name)s” is %(size)s; the largest file accepted is %(limit)s. "
                "Scan it at a lower resolution or split it."
            ),
            "too_large",
            name=name,
            size=filesizeformat(size),
            limit=filesizeformat(limit),
        )
    if size == 0:
        _refuse(field, _("“%(name)s” is empty. Choose the file again."), "empty", name=name)
    data = _read_all(upload)
    if len(data) > limit:  # a size that lied
        _refuse(field, _("The file is larger than %(limit)s."), "too_large", limit=filesizeformat(limit))
    kind = filetype.guess(data[:HEAD_BYTES])
    if kind is None or kind.mime not in ACCEPTED:
        if kind is None:
            _refuse(
                field,
                _(
                    "“%(name)s” is not a PDF, JPEG or PNG file by its content, whatever its name says. "
                    "Upload a PDF, JPEG or PNG file."
                ),
                "unsupported_type",
                name=name,
            )
        _refuse(
            field,
            _(
                "“%(name)s” is not a PDF, JPEG or PNG file: its content is of type %(kind)s, whatever its name says. "
                "Only PDF, JPEG and PNG files are accepted."
            ),
            "unsupported_type",
            name=name,
            kind=kind.extension.upper(),
        )
    if kind.mime in IMAGE_FORMATS:
        _check_image(data, kind.mime, field, name)
    else:
        _check_pdf(data, field, name)
    return CheckedUpload(
        content_type=kind.mime, extension=ACCEPTED[kind.mime], size=len(data), sha256=hashlib.sha256(data).hexdigest()
    )
