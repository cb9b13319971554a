"""Evidence shown in the browser, made safe to show: image previews and text excerpts.

Evidence downloads are served as attachments and never rendered, because an
uploaded file is hostile until proven otherwise. Reviewers at 3 a.m. still
need to look at a screenshot without downloading it, and what they see can
hurt them. So a preview is not the file:

* an image is decoded by Pillow and **re-encoded** as a new JPEG, at most
  :data:`PREVIEW_EDGE` pixels on its longer side, from its first frame only
  (an animated GIF does not play). Nothing of the upload's bytes reaches the
  browser: no metadata (a victim's GPS position in EXIF), no polyglot
  payload, no script. An image claiming more than :data:`MAX_PIXELS`
  pixels (a decompression bomb) is refused from its header, before decoding;
* a PDF is parsed by a separate, limited process (``pdf_render``) that
  renders its first page; that image is then re-encoded like a screenshot;
* a text file gives an escaped excerpt of at most :data:`EXCERPT_BYTES`.

How the preview is shown (blurred, grey, or not at all until the reviewer
chooses) is the console's viewing preference; this module only makes the
bytes. Every preview is an evidence read and is audited like a download, with
``"as"`` saying which.
"""

from __future__ import annotations

import dataclasses
import io
import warnings

from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from trustline.accounts.permissions import Actor
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record
from trustline.core.exceptions import ValidationFailed
from trustline.intake.evidence import check_not_purged
from trustline.intake.models import Evidence
from trustline.intake.pdf_render import RenderFailed, render_first_page

#: Longer side of a preview, in pixels: enough to judge a screenshot, small on a weak link.
PREVIEW_EDGE = 1024
#: Images with more pixels are not decoded (a 10 MB file can claim 100,000 × 100,000).
MAX_PIXELS = 50_000_000
#: How much of a text file the excerpt holds.
EXCERPT_BYTES = 20_000
JPEG_QUALITY = 80


@dataclasses.dataclass(frozen=True)
class TextExcerpt:
    """The start of a text evidence file, decoded; ``truncated`` when the file is longer."""

    text: str
    truncated: bool


def evidence_preview(*, actor: Actor, evidence: Evidence) -> bytes:
    """A re-encoded JPEG of an image evidence file, and an audit entry saying who saw it.

    The caller found ``evidence`` through ``selectors.evidence_get`` (which
    checks that the actor may read it). Steps:
    1. only images and PDFs have a preview; a PDF's first page is rendered
       to PNG by a child process with memory and CPU limits (``pdf_render``);
    2. decode with Pillow, refusing more than :data:`MAX_PIXELS` pixels and
       anything Pillow cannot read (a file that passed the type check by its
       signature but is truncated or corrupt);
    3. take the first frame, turn it upright (EXIF orientation), flatten
       transparency onto white, shrink to :data:`PREVIEW_EDGE`;
    4. encode a new JPEG without metadata;
    5. audit the read.
    """
    check_not_purged(evidence)
    if evidence.shown_as not in {"image", "pdf"}:
        raise ValidationFailed.field(
            "evidence", _("%(type)s files have no image preview") % {"type": evidence.content_type})
    with evidence.file.open("rb") as handle:
        data = handle.read()
    if evidence.shown_as == "pdf":
        try:
            data = render_first_page(data)
        except RenderFailed as exc:
            raise ValidationFailed.field(
                "evidence", _("the PDF cannot be shown (%(reason)s); download it") % {"reason": exc}) from exc
    preview = _reencode(data)
    _audit_read(actor, evidence, shown_as="preview")
    return preview


def evidence_excerpt(*, actor: Actor, evidence: Evidence) -> TextExcerpt:
    """The first :data:`EXCERPT_BYTES` of a text evidence file, decoded as UTF-8, and the audit entry."""
    check_not_purged(evidence)
    if evidence.shown_as != "text":
        raise ValidationFailed.field(
            "evidence", _("%(type)s files have no text excerpt") % {"type": evidence.content_type})
    with evidence.file.open("rb") as handle:
        head = handle.read(EXCERPT_BYTES + 1)
    truncated = len(head) > EXCERPT_BYTES
    # A cut in the middle of a multi-byte character is dropped, not shown as a replacement mark.
    text = head[:EXCERPT_BYTES].decode("utf-8", errors="ignore" if truncated else "replace")
    _audit_read(actor, evidence, shown_as="excerpt")
    return TextExcerpt(text=text, truncated=truncated)


def _reencode(data: bytes) -> bytes:
    with warnings.catch_warnings():
        # Pillow warns between MAX_IMAGE_PIXELS and twice it; make the warning the refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ValidationFailed.field("evidence", _("the image is too large to preview; download it"))
                image.seek(0)
                frame = ImageOps.exif_transpose(image.copy()) or image.copy()
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError,
                Image.DecompressionBombWarning) as exc:
            raise ValidationFailed.field("evidence", _("the image cannot be read for a preview; download it")) from exc
    frame = _flatten(frame)
    frame.thumbnail((PREVIEW_EDGE, PREVIEW_EDGE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    frame.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def _flatten(image: Image.Image) -> Image.Image:
    """RGB on white: JPEG has no transparency, and black behind a transparent PNG hides its text."""
    if image.mode in {"RGBA", "LA", "P", "PA"}:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _audit_read(actor: Actor, evidence: Evidence, *, shown_as: str) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor, action=AuditAction.EVIDENCE_VIEWED, target=evidence,
            data={"report": str(evidence.report_id), "sha256": evidence.sha256, "as": shown_as},
        )
