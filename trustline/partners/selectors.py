from __future__ import annotations

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation
from trustline.partners.choices import AccreditationStatus
from trustline.partners.models import Accreditation


def partner_can_submit(organisation: Organisation) -> str:
    """Return why the organisation may not submit reports, or "" when it may."""
    if organisation.kind != OrganisationKind.PARTNER:
        return ""
    # Uses the accreditation loaded with the organisation (select_related) when there is one.
    try:
        accreditation: Accreditation | None = organisation.accreditation
    except Accreditation.DoesNotExist:
        accreditation = None
    if accreditation is None:
        return "This organisation has no accreditation as a trusted partner."
    if accreditation.status != AccreditationStatus.ACTIVE:
        return f"This partner's accreditation is {accreditation.status}; reports cannot be submitted."
    return ""
