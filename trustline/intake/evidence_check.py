"""Content-based checks for evidence files uploaded by partners (screenshots, PDFs, text notes).

Evidence is attached to reports about hostile content, so the files themselves must be treated as
hostile: the file name and the declared content type are chosen by whoever produced the file and
prove nothing. :func:`inspect_evidence` therefore

* streams the file in chunks, hashing it with SHA-256 as it goes and stopping as soon as it is
  larger than ``max_bytes`` -- an oversized upload is never read completely or held in memory;
* decides the type from the bytes only (magic numbers via ``filetype``, confirmed by the full
  signature, since ``filetype`` matches e.g. any text starting with ``GIF``), accepting PNG, JPEG,
  GIF, WebP, PDF and plain UTF-8 text;
* refuses markup (HTML, SVG, XML) even though it is text: it can carry script that would run if the
  file were ever rendered inline, and no analyst needs it as evidence in that form;
* refuses files whose name or declared type contradicts their content (``mislabelled``): a
  "photo.png" that is really a PDF is either a mistake worth telling the partner about or an
  attempt to smuggle a file past a reviewer who trusts the icon.

The returned :class:`EvidenceInfo` carries the *detected* content type and extension, which are the
only ones that should ever be stored or served.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from typing import BinaryIO

import filetype  # untyped upstream; the project mypy config sets ignore_missing_imports
from django.utils.translation import gettext as _

__all__ = [
    "ALLOWED_CONTENT_TYPES",
    "EvidenceInfo",
    "EvidenceRejected",
    "inspect_evidence",
]

TEXT_PLAIN = "text/plain"
PDF = "application/pdf"
OCTET_STREAM = "application/octet-stream"

#: Accepted types and the extension (without dot) stored for each.
ALLOWED_CONTENT_TYPES: dict[str, str] = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
    "application/pdf": "pdf",
    TEXT_PLAIN: "txt",
}

#: Types the case page can show (``intake.preview``): a re-encoded image, or an escaped text excerpt.
IMAGE_PREVIEW_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# Full signatures that confirm filetype's (deliberately loose) guesses for the accepted types.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/pdf": (b"%PDF-",),
}

# filetype reports some accepted formats under a more specific type.
_DETECTED_ALIASES = {"image/apng": "image/png"}

# Declared types that say nothing about the content (what browsers send when they do not know).
_NEUTRAL_DECLARED = frozenset({"", OCTET_STREAM, "binary/octet-stream", "application/unknown"})

# Spellings of declared types seen in the wild, mapped to the type we detect.
_DECLARED_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "application/x-pdf": "application/pdf",
    "application/acrobat": "application/pdf",
    "text/markdown": TEXT_PLAIN,
    "text/x-markdown": TEXT_PLAIN,
    "text/csv": TEXT_PLAIN,
}

# Extensions we recognise. Unknown extensions are not a contradiction by themselves.
_EXTENSION_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "jpe": "image/jpeg",
    "jfif": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "txt": TEXT_PLAIN,
    "text": TEXT_PLAIN,
    "log": TEXT_PLAIN,
    "md": TEXT_PLAIN,
    "csv": TEXT_PLAIN,
    "htm": "text/html",
    "html": "text/html",
    "xhtml": "application/xhtml+xml",
    "svg": "image/svg+xml",
    "xml": "application/xml",
    "js": "text/javascript",
    "bmp": "image/bmp",
    "tif": "image/tiff",
    "tiff": "image/tiff",
    "heic": "image/heic",
    "avif": "image/avif",
    "zip": "application/zip",
    "exe": "application/x-msdownload",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "mp4": "video/mp4",
}

# Text that starts (after a BOM and whitespace) with a tag, comment, doctype or processing
# instruction is markup; "<3 thanks" is not.
_MARKUP_START_RE = re.compile(rb"<[A-Za-z!?/]")
_MARKUP_HEAD_BYTES = 1024
_DETECTION_HEAD_BYTES = 8192  # filetype needs at most a few hundred bytes
_CHUNK_BYTES = 64 * 1024
_MAX_SHOWN_NAME = 100


class EvidenceRejected(ValueError):
    """An evidence file that cannot be accepted.

    ``code`` is stable for programs (``too_large``, ``empty``, ``unsupported_type``, ``mislabelled``);
    ``reason`` is a sentence that can be shown to the partner.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True)
class EvidenceInfo:
    """What the bytes of an accepted evidence file turned out to be.

    ``extension`` has no leading dot and comes from the detected type, never from the upload name.
    """

    content_type: str
    extension: str
    size: int
    sha256: str


def inspect_evidence(
    fileobj: BinaryIO, *, declared_name: str, declared_type: str | None, max_bytes: int
) -> EvidenceInfo:
    """Inspect an uploaded evidence file; return its :class:`EvidenceInfo` or raise :class:`EvidenceRejected`.

    The file is read from the start and, whatever the outcome, left seeked back to 0 so the caller
    can store it.
    """
    if max_bytes <= 0:
        raise ValueError("max_bytes must be positive")
    fileobj.seek(0)
    try:
        size, digest, head, is_text = _read(fileobj, declared_name, max_bytes)
    finally:
        fileobj.seek(0)
    if size == 0:
        raise EvidenceRejected("empty", _("file %(name)s is empty") % {"name": _shown(declared_name)})

    content_type = _detect(head, is_text, declared_name)
    _check_labels(content_type, declared_name, declared_type)
    return EvidenceInfo(
        content_type=content_type,
        extension=ALLOWED_CONTENT_TYPES[content_type],
        size=size,
        sha256=digest,
    )


def _read(fileobj: BinaryIO, declared_name: str, max_bytes: int) -> tuple[int, str, bytes, bool]:
    """Stream the file once: size, SHA-256, the first bytes for sniffing, and whether it is clean text.

    "Clean text" means valid UTF-8 without NUL bytes; it is tracked incrementally so that neither
    the hash nor the text check needs the whole file in memory.
    """
    hasher = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    head = bytearray()
    size = 0
    is_text = True
    while True:
        # Ask for at most one byte beyond the limit: enough to know it is too large.
        chunk = fileobj.read(min(_CHUNK_BYTES, max_bytes + 1 - size))
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise EvidenceRejected("too_large", _("file %(name)s is larger than the limit of %(most)d bytes") % {
                "name": _shown(declared_name), "most": max_bytes})
        hasher.update(chunk)
        if len(head) < _DETECTION_HEAD_BYTES:
            head += chunk[: _DETECTION_HEAD_BYTES - len(head)]
        if is_text:
            if b"\x00" in chunk:
                is_text = False
            else:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    is_text = False
    if is_text:
        try:
            decoder.decode(b"", final=True)  # a multi-byte sequence cut off at the end
        except UnicodeDecodeError:
            is_text = False
    return size, hasher.hexdigest(), bytes(head), is_text


def _detect(head: bytes, is_text: bool, declared_name: str) -> str:
    """Return the accepted content type of the file or raise ``unsupported_type``."""
    kind = filetype.guess(head)
    guessed: str | None = None
    if kind is not None:
        guessed = _DETECTED_ALIASES.get(kind.mime, kind.mime)
        if guessed in ALLOWED_CONTENT_TYPES and _signature_ok(guessed, head):
            return guessed
    if is_text:
        markup = _markup_type(head)
        if markup is not None:
            raise EvidenceRejected(
                "unsupported_type",
                _("file %(name)s contains %(type)s, which is not accepted because markup can carry scripts; upload "
                  "a screenshot, PDF or plain text instead") % {"name": _shown(declared_name), "type": markup},
            )
        # Clean UTF-8 without NULs is stored and served as text/plain, which is harmless even when
        # filetype matched a short magic number by coincidence (a note starting with "BM" or "MZ").
        return TEXT_PLAIN
    detected = guessed or _("unrecognised binary data")
    raise EvidenceRejected(
        "unsupported_type",
        _("file %(name)s contains %(type)s, which is not accepted; accepted are PNG, JPEG, GIF, WebP, PDF and plain "
          "UTF-8 text") % {"name": _shown(declared_name), "type": detected},
    )


def _signature_ok(content_type: str, head: bytes) -> bool:
    signatures = _SIGNATURES.get(content_type)
    return signatures is None or head.startswith(signatures)


def _markup_type(head: bytes) -> str | None:
    start = head[:_MARKUP_HEAD_BYTES].removeprefix(codecs.BOM_UTF8).lstrip()
    if not _MARKUP_START_RE.match(start):
        return None
    lowered = start.lower()
    if b"<svg" in lowered:
        return "image/svg+xml"
    if lowered.startswith(b"<?xml"):
        return "application/xml"
    return "text/html"


def _check_labels(content_type: str, declared_name: str, declared_type: str | None) -> None:
    """Raise ``mislabelled`` when the name's extension or the declared type names another type."""
    extension = _extension(declared_name)
    named_as = _EXTENSION_TYPES.get(extension) if extension else None
    if named_as is not None and named_as != content_type:
        raise EvidenceRejected(
            "mislabelled",
            _("file %(name)s is named as %(named)s but its content is %(type)s") % {
                "name": _shown(declared_name), "named": named_as, "type": content_type},
        )
    declared = _normalise_declared_type(declared_type)
    if declared is not None and declared != content_type:
        raise EvidenceRejected(
            "mislabelled",
            _("file %(name)s is declared as %(declared)s but its content is %(type)s") % {
                "name": _shown(declared_name), "declared": declared, "type": content_type},
        )


def _normalise_declared_type(declared_type: str | None) -> str | None:
    """``"Image/PNG; charset=x"`` -> ``"image/png"``; ``None`` for neutral or absent types."""
    if declared_type is None:
        return None
    mime = declared_type.split(";", 1)[0].strip().lower()
    if mime in _NEUTRAL_DECLARED:
        return None
    return _DECLARED_ALIASES.get(mime, mime)


def _extension(declared_name: str) -> str:
    # Browsers and some clients send full paths; Windows ignores trailing dots and spaces.
    base = re.split(r"[/\\]", declared_name)[-1].rstrip(". ")
    stem, dot, ext = base.rpartition(".")
    return ext.lower() if dot and stem else ""


def _shown(declared_name: str) -> str:
    """The declared name as it may appear in a message: quoted, escaped, bounded."""
    name = declared_name if len(declared_name) <= _MAX_SHOWN_NAME else declared_name[: _MAX_SHOWN_NAME - 3] + "..."
    return repr(name)
