from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    PLATFORM = "platform", _("Platform trust & safety team")
    PARTNER = "partner", _("Trusted partner")
    LAW_ENFORCEMENT = "law_enforcement", _("Law-enforcement agency")
    PEER_PLATFORM = "peer_platform", _("Peer platform")


class Role(models.TextChoices):
    PARTNER_ANALYST = "partner_analyst", _("Partner analyst")
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    REVIEWER = "reviewer", _("Reviewer")
    ESCALATION_LEAD = "escalation_lead", _("Escalation lead")
    LAW_ENFORCEMENT_LIAISON = "law_enforcement_liaison", _("Law-enforcement liaison")
    PROGRAMME_MANAGER = "programme_manager", _("Programme manager")
    POLICY_ANALYST = "policy_analyst", _("Policy analyst")
    AUDITOR = "auditor", _("Auditor")
    ADMINISTRATOR = "administrator", _("Administrator")
    LEGAL_REVIEWER = "legal_reviewer", _("Legal reviewer")
    # A peer platform's API key: reads the signals shared with it and sends its own (trustline.signals).
    PEER_EXCHANGE = "peer_exchange", _("Peer platform signal exchange")


PARTNER_ROLES = frozenset({Role.PARTNER_ANALYST, Role.PARTNER_ADMIN})
PEER_ROLES = frozenset({Role.PEER_EXCHANGE})
STAFF_ROLES = frozenset(set(Role) - PARTNER_ROLES - PEER_ROLES)

# Which roles an organisation of each kind may hand out.
ROLES_BY_KIND: dict[str, frozenset[str]] = {
    OrganisationKind.PLATFORM: frozenset(STAFF_ROLES),
    OrganisationKind.PARTNER: frozenset(PARTNER_ROLES),
    OrganisationKind.LAW_ENFORCEMENT: frozenset(),
    OrganisationKind.PEER_PLATFORM: frozenset(PEER_ROLES),
}
