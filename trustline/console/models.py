"""Console-owned data: the organisation's security policy (two-factor requirement).

The accounts models are not changed by the console; an organisation's
security settings live beside it in a one-to-one row, created on first use.
"""

from __future__ import annotations

from django.db import models

from trustline.accounts.models import Organisation, User


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
