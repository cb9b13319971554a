"""Made-up screenshots for the demo's evidence, drawn with Pillow (no real content, no real person).

A reviewer trying the demo should meet an image on a case page, blurred and
grey by default (``console.ViewingPreference``). These are plain drawings of
a post: the platform's bar, the reported address, the time of capture, and a
dark red "photo" area that stands in for the distressing part.
"""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 900, 600


def post_screenshot(*, reference: str, url: str, captured_at: dt.datetime) -> bytes:
    """A PNG of a fake post as a partner's monitoring desk would capture it."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    small, normal, large = (ImageFont.load_default(size=size) for size in (18, 22, 30))
    # 1. The platform's bar and the author line.
    draw.rectangle((0, 0, WIDTH, 64), fill=(29, 39, 51))
    draw.text((24, 18), "Kite", font=large, fill=(255, 255, 255))
    draw.ellipse((24, 90, 84, 150), fill=(120, 130, 140))
    draw.text((100, 96), "@account-under-review", font=normal, fill=(26, 26, 26))
    draw.text((100, 126), url[:70], font=small, fill=(89, 89, 89))
    # 2. The "photo": a dark red gradient standing in for what hurts to look at.
    for row in range(170, 470):
        shade = int(60 + 120 * (row - 170) / 300)
        draw.line((24, row, WIDTH - 24, row), fill=(shade, 16, 20))
    draw.text((48, 300), "[image from the reported post]", font=large, fill=(255, 220, 220))
    # 3. The capture line a monitoring desk adds.
    draw.text((24, 500), f"Captured {captured_at:%Y-%m-%d %H:%M} UTC · {reference}", font=normal, fill=(26, 26, 26))
    draw.text((24, 540), "Demo drawing: no real content.", font=small, fill=(89, 89, 89))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
