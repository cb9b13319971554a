"""Console choices: how a person wants evidence images shown."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ImagePreviews(models.TextChoices):
    """How evidence images appear on the case page (see ``intake.preview`` for what a preview is)."""

    BLURRED = "blurred", _("Blurred until I choose to see each one")
    CLEAR = "clear", _("Shown clearly")
    NONE = "none", _("Not shown: download only")
