"""Tests for trustline.intake.evidence_check (pure Python, no database)."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest

from trustline.intake.evidence_check import EvidenceInfo, EvidenceRejected, inspect_evidence

MAX = 1024 * 1024


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PNG = _png()
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TEXT = "Reported post said: «we know where you live» — screenshot attached.\n".encode()
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def inspect(
    data: bytes, name: str = "evidence", declared_type: str | None = None, max_bytes: int = MAX
) -> EvidenceInfo:
    return inspect_evidence(io.BytesIO(data), declared_name=name, declared_type=declared_type, max_bytes=max_bytes)


def rejection(
    data: bytes, name: str = "evidence", declared_type: str | None = None, max_bytes: int = MAX
) -> EvidenceRejected:
    with pytest.raises(EvidenceRejected) as excinfo:
        inspect(data, name, declared_type, max_bytes)
    assert str(excinfo.value) == excinfo.value.reason
    return excinfo.value


class CountingBytesIO(io.BytesIO):
    """Records how many bytes the code under test actually read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


# --- accepted types --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "declared_type", "content_type", "extension"),
    [
        (PNG, "screenshot.png", "image/png", "image/png", "png"),
        (JPEG, "photo.jpg", "image/jpeg", "image/jpeg", "jpg"),
        (JPEG, "photo.JPEG", "image/jpeg", "image/jpeg", "jpg"),
        (GIF, "anim.gif", "image/gif", "image/gif", "gif"),
        (WEBP, "shot.webp", "image/webp", "image/webp", "webp"),
        (PDF, "letter.pdf", "application/pdf", "application/pdf", "pdf"),
        (TEXT, "note.txt", "text/plain; charset=utf-8", "text/plain", "txt"),
    ],
)
def test_accepts_allowed_types(data: bytes, name: str, declared_type: str, content_type: str, extension: str) -> None:
    info = inspect(data, name, declared_type)
    assert info == EvidenceInfo(
        content_type=content_type,
        extension=extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def test_type_comes_from_content_when_nothing_is_declared() -> None:
    info = inspect(PDF, name="upload", declared_type=None)
    assert (info.content_type, info.extension) == ("application/pdf", "pdf")


@pytest.mark.parametrize("declared_type", [None, "", "application/octet-stream", "APPLICATION/OCTET-STREAM"])
def test_octet_stream_and_missing_declared_type_are_neutral(declared_type: str | None) -> None:
    assert inspect(PNG, "shot.png", declared_type).content_type == "image/png"


@pytest.mark.parametrize("declared_type", ["image/jpg", "image/pjpeg", "IMAGE/JPEG; foo=bar"])
def test_common_jpeg_spellings_are_not_contradictions(declared_type: str) -> None:
    assert inspect(JPEG, "photo.jpeg", declared_type).content_type == "image/jpeg"


def test_unknown_extension_is_not_a_contradiction_and_stored_extension_comes_from_content() -> None:
    info = inspect(PNG, "export.dat", None)
    assert (info.content_type, info.extension) == ("image/png", "png")


def test_name_without_extension() -> None:
    assert inspect(JPEG, "IMG_0001", None).extension == "jpg"


def test_text_is_accepted_even_if_it_starts_like_a_magic_number() -> None:
    # filetype matches "BM" as BMP and "GIF" as GIF; clean UTF-8 text is still just text.
    assert inspect(b"BMW with plate XYZ was seen outside.\n", "note.txt").content_type == "text/plain"
    assert inspect(b"GIF of the attack is linked below.\n", "note.txt").content_type == "text/plain"


def test_text_starting_with_less_than_that_is_not_markup() -> None:
    assert inspect(b"<3 thanks for the quick response\n", "note.txt").content_type == "text/plain"


def test_text_with_utf8_bom() -> None:
    assert inspect(b"\xef\xbb\xbfhello\n", "note.txt").content_type == "text/plain"


def test_large_text_crossing_chunk_boundaries() -> None:
    data = ("a" + "é" * 100_000).encode()  # multi-byte characters split across 64 KiB chunks
    info = inspect(data, "long.txt", "text/plain")
    assert info.content_type == "text/plain"
    assert info.size == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()


# --- unsupported types -----------------------------------------------------------------------------


def test_text_with_nul_byte_is_unsupported() -> None:
    error = rejection(b"hello\x00world", "note.txt", "text/plain")
    assert error.code == "unsupported_type"
    assert "unrecognised binary data" in error.reason


@pytest.mark.parametrize("data", [b"caf\xe9 latin-1", "é".encode()[:1], b"ok" + "€".encode()[:2]])
def test_invalid_utf8_is_unsupported(data: bytes) -> None:
    assert rejection(data, "note.txt").code == "unsupported_type"


@pytest.mark.parametrize(
    ("data", "detected"),
    [
        (b"<!DOCTYPE html><html><body>hi</body></html>", "text/html"),
        (b"  \n<html><script>alert(1)</script></html>", "text/html"),
        (b"\xef\xbb\xbf<script>alert(1)</script>", "text/html"),
        (b"<!-- comment --><p>x</p>", "text/html"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "image/svg+xml"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b'<?xml version="1.0"?><doc/>', "application/xml"),
    ],
)
def test_markup_is_unsupported(data: bytes, detected: str) -> None:
    error = rejection(data, "evidence", None)
    assert error.code == "unsupported_type"
    assert detected in error.reason


def test_markup_named_txt_is_still_unsupported() -> None:
    assert rejection(b"<html></html>", "note.txt", "text/plain").code == "unsupported_type"


@pytest.mark.parametrize(
    ("data", "detected"),
    [(ZIP, "application/zip"), (EXE, "application/x-msdownload"), (b"\x00\x01\x02\x03garbage", "unrecognised")],
)
def test_other_binaries_are_unsupported_and_named(data: bytes, detected: str) -> None:
    error = rejection(data, "file.bin")
    assert error.code == "unsupported_type"
    assert detected in error.reason


# --- size ------------------------------------------------------------------------------------------


def test_empty_file() -> None:
    error = rejection(b"", "nothing.png", "image/png")
    assert error.code == "empty"
    assert "'nothing.png'" in error.reason


def test_too_large_stops_reading_early() -> None:
    data = PNG + b"\x00" * 1_000_000
    stream = CountingBytesIO(data)
    with pytest.raises(EvidenceRejected) as excinfo:
        inspect_evidence(stream, declared_name="big.png", declared_type="image/png", max_bytes=1000)
    assert excinfo.value.code == "too_large"
    assert "1000 bytes" in excinfo.value.reason
    assert stream.bytes_read <= 1001
    assert stream.tell() == 0


def test_exactly_max_bytes_is_accepted() -> None:
    assert inspect(PDF, "a.pdf", max_bytes=len(PDF)).size == len(PDF)
    assert rejection(PDF, "a.pdf", max_bytes=len(PDF) - 1).code == "too_large"


def test_max_bytes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_bytes"):
        inspect(PNG, "a.png", max_bytes=0)


# --- mislabelled -----------------------------------------------------------------------------------


def test_png_name_with_pdf_content() -> None:
    error = rejection(PDF, "photo.png", None)
    assert error.code == "mislabelled"
    assert error.reason == "file 'photo.png' is named as image/png but its content is application/pdf"


def test_declared_png_with_jpeg_content() -> None:
    error = rejection(JPEG, "photo.jpg", "image/png")
    assert error.code == "mislabelled"
    assert error.reason == "file 'photo.jpg' is declared as image/png but its content is image/jpeg"


@pytest.mark.parametrize(
    ("data", "name", "declared_type"),
    [
        (PNG, "photo.jpg", None),
        (JPEG, "scan.pdf", "application/pdf"),
        (PDF, "report.pdf", "image/png"),
        (TEXT, "note.html", None),  # would be served as HTML if the name were trusted
        (TEXT, "image.svg", None),
        (PNG, "invoice.exe", None),
        (TEXT, "note.txt", "text/html"),
        (GIF, "anim.gif", "application/x-unknown"),
    ],
)
def test_mislabelled_combinations(data: bytes, name: str, declared_type: str | None) -> None:
    assert rejection(data, name, declared_type).code == "mislabelled"


def test_client_side_path_in_name_is_ignored() -> None:
    assert inspect(PNG, "C:\\fakepath\\shot.png", "image/png").extension == "png"
    assert rejection(PDF, "C:\\fakepath\\shot.png").code == "mislabelled"


def test_trailing_dots_do_not_hide_the_extension() -> None:
    assert rejection(PDF, "photo.png. ").code == "mislabelled"


def test_hostile_name_is_escaped_and_bounded_in_reason() -> None:
    name = "evil\n\x1b[31m" + "x" * 500 + ".png"
    error = rejection(PDF, name)
    assert "\n" not in error.reason and "\x1b" not in error.reason
    assert len(error.reason) < 250


# --- stream handling ------------------------------------------------------------------------------


def test_file_is_rewound_after_success() -> None:
    stream = io.BytesIO(PNG)
    inspect_evidence(stream, declared_name="a.png", declared_type=None, max_bytes=MAX)
    assert stream.tell() == 0
    assert stream.read() == PNG


def test_file_is_rewound_after_rejection() -> None:
    stream = io.BytesIO(PDF)
    with pytest.raises(EvidenceRejected):
        inspect_evidence(stream, declared_name="a.png", declared_type=None, max_bytes=MAX)
    assert stream.tell() == 0


def test_reads_from_the_start_even_if_already_consumed() -> None:
    stream = io.BytesIO(PNG)
    stream.read(10)
    info = inspect_evidence(stream, declared_name="a.png", declared_type=None, max_bytes=MAX)
    assert info.size == len(PNG)
    assert info.sha256 == hashlib.sha256(PNG).hexdigest()
