"""Files of every kind for the uploads' tests, good and bad (shared with the role × URL matrix and the
portal's tests), and what the media folder holds."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter


def stored_paths(media_root):
    """Every file under the media folder, as paths relative to it."""
    return (
        sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())
        if media_root.exists()
        else []
    )


def pdf_bytes(marker="LUCHEN-TEST"):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": marker})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt, size=(64, 48)):
    out = io.BytesIO()
    Image.new("RGB", size, (31, 95, 168)).save(out, format=fmt)
    return out.getvalue()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with_broken_body():
    """A PNG whose signature and header are right and whose image data is not."""
    good = image_bytes("PNG")
    header_end = 8 + 25  # the signature and the IHDR chunk
    broken_idat = png_chunk(b"IDAT", b"\x78\x9c" + b"\x00garbage-not-deflate" * 20)
    return good[:header_end] + broken_idat + png_chunk(b"IEND", b"")


def png_bomb(width=60_000, height=60_000):
    """A tiny PNG declaring far more pixels than Pillow's decompression-bomb limit allows."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def png_blank(width, height):
    """A valid, fully decodable 1-bit PNG of ``width`` × ``height`` white pixels: a few kB however
    many pixels it declares (its rows compress to nearly nothing)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter type 0, then the row's bits
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 200
PE = b"MZ\x90\x00" + b"\x00" * 56 + b"\x80\x00\x00\x00" + b"\x00" * 64 + b"PE\x00\x00" + b"\x00" * 200


def upload(name, data, content_type="application/pdf"):
    """An uploaded file as the browser sends it: the declared type is whatever the client claims."""
    return SimpleUploadedFile(name, data, content_type=content_type)
