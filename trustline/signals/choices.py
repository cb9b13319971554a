"""Signal types, TLP levels and opinions: the names the exchanges use, so signals travel without mapping."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SignalType(models.TextChoices):
    """python-threatexchange's ``SignalType`` names (``get_name()``), as HMA and ThreatExchange use them."""

    URL = "url", _("URL")
    URL_MD5 = "url_md5", _("MD5 of a URL")
    PDQ = "pdq", _("PDQ photo hash")
    VIDEO_MD5 = "video_md5", _("MD5 of a video file")
    VIDEO_SHA256 = "video_sha256", _("SHA-256 of a video file")
    RAW_TEXT = "raw_text", _("Text")
    TREND_QUERY = "trend_query", _("Trend query")


class Tlp(models.TextChoices):
    """Traffic Light Protocol 2.0 (FIRST), least restricted first; values are STIX's ``tlp_2_0`` names."""

    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


# Restriction order: a peer allowed up to AMBER also receives CLEAR and GREEN.
TLP_ORDER: tuple[str, ...] = (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)


# What may be shared or agreed: every level but RED, which names individual recipients and never goes into a feed.
SHAREABLE_TLP: list[tuple[str, str]] = [(value, str(label)) for value, label in Tlp.choices if value != Tlp.RED]


def tlp_rank(level: str) -> int:
    return TLP_ORDER.index(level)


class Opinion(models.TextChoices):
    """python-threatexchange's ``SignalOpinionCategory`` names."""

    NEGATIVE_CLASS = "NEGATIVE_CLASS", _("Not violating (a known false positive)")
    INVESTIGATION_SEED = "INVESTIGATION_SEED", _("Worth investigating, not confirmed")
    POSITIVE_CLASS = "POSITIVE_CLASS", _("Confirmed violating")


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("Shared by us")
    INBOUND = "inbound", _("Received from a peer platform")


class SignalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    WITHDRAWN = "withdrawn", _("Withdrawn")
