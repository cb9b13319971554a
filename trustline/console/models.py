"""Console-owned data: the organisation's security policy (two-factor requirement) and viewing preferences.

The accounts models are not changed by the console; an organisation's
security settings live beside it in a one-to-one row, created on first use.
"""

from __future__ import annotations

from django.db import models

from trustline.accounts.models import Organisation, User
from trustline.console.choices import ImagePreviews


class OrganisationSecurityPolicy(models.Model):
    """Whether everyone in an organisation must sign in with a second factor.

    The platform's own team always must (see ``selectors.two_factor_required``);
    for a partner organisation its partner admin decides. No row means the
    default: not required.
    """

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="security_policy")
    require_two_factor = models.BooleanField(default=False)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"Security policy of {self.organisation}"


class ViewingPreference(models.Model):
    """How one person wants distressing material shown to them: their own choice, not a policy.

    Reviewers see violence, abuse and self-harm every shift. Blurred and grey
    by default (as Coop and Ozone do) lowers the exposure to what the decision
    needs; a reviewer who needs detail reveals one image at a time. No row
    means the defaults.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="viewing_preference")
    image_previews = models.CharField(max_length=16, choices=ImagePreviews.choices, default=ImagePreviews.BLURRED)
    grayscale = models.BooleanField(default=True, help_text="images stay grey even when shown")
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Viewing preference of {self.user}"
