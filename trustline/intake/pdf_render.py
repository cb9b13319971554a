"""Render the first page of a PDF as PNG, in a child process with hard limits (``python -m`` this module).

A PDF is a program for a complex parser; an uploaded one is hostile until
proven otherwise. The web process never parses it: :func:`render_first_page`
starts this module as a child, writes the PDF to its standard input and reads
a PNG of page 1 from its standard output. The child:

1. caps its own address space (:data:`MEMORY_BYTES`) and CPU time
   (:data:`CPU_SECONDS`) before reading anything, so a PDF bomb or a parser
   bug ends the child, not the worker serving other reviewers;
2. imports only pypdfium2 (PDFium, the renderer of Chromium) and Pillow;
   never Django, settings or the database;
3. renders page 1 at most :data:`EDGE` pixels on its longer side, with no
   forms, annotations' scripts or anything else executed (PDFium runs no
   JavaScript unless a form environment is set up, which we never do);
4. writes the PNG on standard output and exits 0; a failure exits non-zero
   with the reason on standard error.

The parent then decodes that PNG again with Pillow and re-encodes it as the
usual preview JPEG (``preview._reencode``), so the browser gets the same kind
of bytes as for a screenshot.
"""

from __future__ import annotations

import io
import subprocess
import sys

EDGE = 1024
MEMORY_BYTES = 768 * 1024 * 1024
CPU_SECONDS = 10
WALL_SECONDS = 20


class RenderFailed(Exception):
    """The PDF could not be rendered (corrupt, encrypted, too heavy, or the child was stopped)."""


def render_first_page(data: bytes) -> bytes:
    """PNG bytes of page 1; ``RenderFailed`` otherwise."""
    try:
        done = subprocess.run(  # our interpreter and our module; the PDF goes through stdin
            [sys.executable, "-I", "-m", "trustline.intake.pdf_render"],
            input=data, capture_output=True, timeout=WALL_SECONDS, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderFailed(f"rendering took longer than {WALL_SECONDS} s") from exc
    if done.returncode != 0 or not done.stdout:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderFailed(reason[-1] if reason else f"the renderer stopped (exit {done.returncode})")
    return done.stdout


def _limit_self() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _main() -> int:
    _limit_self()
    data = sys.stdin.buffer.read()
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
        if len(document) < 1:
            print("the PDF has no pages", file=sys.stderr)
            return 2
        page = document[0]
        width, height = page.get_size()
        scale = min(4.0, EDGE / max(width, height, 1.0))
        image = page.render(scale=scale, may_draw_forms=False).to_pil()
    except pdfium.PdfiumError as exc:
        print(f"the PDF cannot be read: {exc}", file=sys.stderr)
        return 2
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG")
    sys.stdout.buffer.write(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(_main())
