"""A trusted partner's accreditation: what it is trusted for, and whether it still is."""

from __future__ import annotations

from django.db import models

from trustline.accounts.models import Organisation
from trustline.partners.choices import AccreditationStatus


class Accreditation(models.Model):
    """The partner's standing in the programme (DSA Art. 22 status when awarded by a DSC).

    ``expertise`` holds taxonomy category codes; ``countries`` ISO 3166-1
    alpha-2 codes; ``languages`` BCP 47 tags. Status changes are audited with
    their reason and date, and a suspended or revoked partner cannot submit.
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="accreditation")
    status = models.CharField(max_length=16, choices=AccreditationStatus.choices, default=AccreditationStatus.ACTIVE)
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField()
    expertise = models.JSONField(default=list, blank=True)
    countries = models.JSONField(default=list, blank=True)
    languages = models.JSONField(default=list, blank=True)
    awarding_dsc = models.CharField(max_length=200, blank=True, help_text="DSA Digital Services Coordinator, if any")

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_status_display()})"
