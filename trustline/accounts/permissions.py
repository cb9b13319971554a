"""Who may do what.

An :class:`Actor` is whoever is acting: a signed-in person, an organisation's
API key, or the system itself (background jobs). Permissions are declared per
role in one table, so a reviewer of this file sees the whole access model.
Object-level rules ("a partner sees only its own reports") live in each app's
selectors, which start from what the actor may see.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from trustline.accounts.choices import Role
from trustline.core.exceptions import PermissionDenied

if TYPE_CHECKING:
    from trustline.accounts.models import ApiKey, Organisation, User


class Perm(enum.StrEnum):
    REPORT_SUBMIT = "report.submit"
    REPORT_VIEW_OWN = "report.view_own"
    REPORT_VIEW_ALL = "report.view_all"
    EVIDENCE_VIEW = "evidence.view"
    APIKEY_MANAGE_OWN = "apikey.manage_own"
    APIKEY_MANAGE_ALL = "apikey.manage_all"
    PARTNER_MANAGE = "partner.manage"
    AUDIT_VIEW = "audit.view"
    CASE_VIEW = "case.view"
    CASE_RETIER = "case.retier"
    ENFORCEMENT_APPLY = "enforcement.apply"  # ask the platform to act on content, confirm manual actions
    # Decisions (trustline.review)
    DECISION_RECORD = "decision.record"  # decide a case one holds
    DECISION_RECORD_ANY = "decision.record_any"  # decide a case without holding it (escalation leads)
    DECISION_SECOND_REVIEW = "decision.second_review"  # confirm or reject someone else's decision
    INFORMATION_REQUEST_ANSWER = "information_request.answer"  # a partner answers a reviewer's question
    PRECISION_VIEW = "precision.view"  # read partners' precision records
    SECOND_REVIEW_RULE_MANAGE = "second_review_rule.manage"  # switch second-review rules on/off, set their parameters
    # Routing and queues (trustline.routing)
    QUEUE_VIEW = "queue.view"  # list the review queue, read internal comments, tags and saved queues
    CASE_CLAIM = "case.claim"  # take cases from the queue, renew, release and hold one's own
    CASE_ASSIGN = "case.assign"  # reassign, release or hold anyone's case (escalation leads)
    CASE_COMMENT = "case.comment"  # write internal comments on cases
    CASE_TAG = "case.tag"  # put free labels on cases
    REVIEWER_SKILLS_MANAGE = "reviewer.manage_skills"  # set reviewers' languages, places, areas, clearances
    # Contests (trustline.appeals), policy review (trustline.policy), notifications (trustline.notifications)
    APPEAL_SUBMIT = "appeal.submit"  # a partner contests a decision on its own report, or withdraws it
    APPEAL_VIEW_ALL = "appeal.view_all"  # read every contest (staff)
    APPEAL_HANDLE = "appeal.handle"  # claim and decide a contest (never one's own decision)
    APPEAL_ASSIGN = "appeal.assign"  # hand a contest to a reviewer, release someone else's claim
    POLICY_FEEDBACK_SUBMIT = "policy_feedback.submit"  # a partner raises a policy question or gap
    POLICY_REVIEW_VIEW = "policy_review.view"  # read the policy queue (staff)
    POLICY_REVIEW_HANDLE = "policy_review.handle"  # claim, assign, comment on and conclude policy items
    NOTIFICATION_MANAGE_OWN = "notification.manage_own"  # one's own organisation's settings and webhooks
    NOTIFICATION_MANAGE_ALL = "notification.manage_all"  # any organisation's (administrators)
    # --- oncall: permissions (trustline.oncall) ---
    ONCALL_VIEW = "oncall.view"  # the emergency board, schedules, chains and who is on call
    EMERGENCY_RESPOND = "emergency.respond"  # acknowledge, resolve and hand over an emergency
    EMERGENCY_DOWNGRADE = "emergency.downgrade"  # not imminent after all: back to the ordinary queue
    ONCALL_MANAGE = "oncall.manage"  # schedules, overrides, chains, contact methods, imminent-harm rules
    EMERGENCY_LE_VIEW = "emergency.le_view"  # law-enforcement requests' emergencies on the board (minimal facts)
    # --- end oncall ---
    # --- crisis: permissions (trustline.crisis) ---
    CRISIS_VIEW = "crisis.view"  # read crises and the crisis view (staff)
    CRISIS_MANAGE = "crisis.manage"  # designate, change and end crises (programme managers)
    # --- end crisis ---
    # --- protection: permissions (trustline.protection) ---
    PROTECTION_NOMINATE = "protection.nominate"  # a partner nominates an at-risk account, asks for renewal
    PROTECTION_REGISTRY_VIEW = "protection.registry_view"  # read the registry and every nomination (staff)
    PROTECTION_DECIDE = "protection.decide"  # approve or reject nominations and renewals (staff)
    # --- end protection ---
    # --- metrics: permissions (trustline.metrics) ---
    METRICS_VIEW = "metrics.view"  # the programme's response-time metrics, every slice (staff)
    METRICS_VIEW_OWN = "metrics.view_own"  # a partner's own organisation's figures only
    SCORECARD_VIEW = "metrics.scorecard_view"  # every partner's scorecard (programme managers)
    # --- end metrics ---
    # --- transparency: permissions (trustline.transparency) ---
    TRANSPARENCY_EXPORT = "transparency.export"  # statements of reasons, the DSA transparency report (staff)
    TRANSPARENCY_SUBMIT = "transparency.submit"  # send statements to the DSA Transparency Database (admins, jobs)
    TRANSPARENCY_PARTNER_REPORT = "transparency.partner_report"  # a partner's own Art. 22(3) annual report
    # --- end transparency ---
    # --- trends: permissions (trustline.trends) ---
    SPIKE_VIEW = "spike.view"  # list detected report spikes with their evidence
    SPIKE_DISMISS = "spike.dismiss"  # dismiss a spike as a false alarm, with a reason
    INCIDENT_VIEW = "incident.view"  # clusters of related cases (incidents, campaigns) and their members
    INSIGHT_REPORT_VIEW = "insight_report.view"  # download the insight report (partners: their countries only)
    # --- end trends ---
    # --- lawenforcement: permissions (trustline.lawenforcement) ---
    LE_DIRECTORY_VIEW = "le_directory.view"  # read the agency directory and suggestions
    LE_DIRECTORY_MANAGE = "le_directory.manage"  # add and edit agencies and contacts, re-verify contacts
    LE_REQUEST_VIEW = "le_request.view"  # read inbound requests, holds and the disclosure log
    LE_REQUEST_HANDLE = "le_request.handle"  # record and verify requests, disclose under a review, manage holds
    LE_REQUEST_REVIEW = "le_request.review"  # legal review: comply, comply in part, reject, clarify
    LE_REFERRAL_MANAGE = "le_referral.manage"  # build, send and follow outbound referrals and NCMEC reports
    LE_REFERRAL_APPROVE = "le_referral.approve"  # second approval of a referral carrying personal data
    LE_FIGURES_VIEW = "le_figures.view"  # government-request figures
    # --- end lawenforcement ---
    # --- signals: permissions (trustline.signals) ---
    SIGNAL_EXCHANGE = "signal.exchange"  # a peer platform reads the signals shared with it and sends its own
    SIGNAL_VIEW = "signal.view"  # read every signal, agreement and match (staff)
    SIGNAL_SHARE = "signal.share"  # share a signal with peer platforms, or withdraw one (staff)
    SIGNAL_AGREEMENT_MANAGE = "signal.agreement_manage"  # set what each peer platform may receive (staff)
    # --- end signals ---
    # --- console: permissions (trustline.console) ---
    SECURITY_POLICY_MANAGE_OWN = "security_policy.manage_own"  # require two-factor sign-in for one's organisation
    DASHBOARD_VIEW = "dashboard.view"  # programme dashboards (SLA, backlog, partners)
    # --- end console ---


_PARTNER = {Perm.REPORT_SUBMIT, Perm.REPORT_VIEW_OWN, Perm.EVIDENCE_VIEW}
_STAFF_READ = {Perm.REPORT_VIEW_ALL, Perm.CASE_VIEW, Perm.EVIDENCE_VIEW}

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.PARTNER_ANALYST: frozenset(_PARTNER),
    Role.PARTNER_ADMIN: frozenset(_PARTNER | {Perm.APIKEY_MANAGE_OWN}),
    Role.REVIEWER: frozenset(_STAFF_READ | {Perm.ENFORCEMENT_APPLY}),
    Role.ESCALATION_LEAD: frozenset(_STAFF_READ | {Perm.CASE_RETIER, Perm.ENFORCEMENT_APPLY}),
    Role.LAW_ENFORCEMENT_LIAISON: frozenset(_STAFF_READ),
    Role.PROGRAMME_MANAGER: frozenset(_STAFF_READ | {Perm.PARTNER_MANAGE, Perm.APIKEY_MANAGE_ALL}),
    Role.POLICY_ANALYST: frozenset(_STAFF_READ),
    # Auditors read the record, including the audit log, but never evidence files.
    Role.AUDITOR: frozenset({Perm.REPORT_VIEW_ALL, Perm.CASE_VIEW, Perm.AUDIT_VIEW}),
    Role.ADMINISTRATOR: frozenset(set(Perm)),
    Role.PEER_EXCHANGE: frozenset(),
}

def _grant(extra: dict[str, set[Perm]]) -> None:
    """Add each app's grants to the roles' base permissions (the tables below, one per area)."""
    for role, perms in extra.items():
        ROLE_PERMS[role] = ROLE_PERMS[role] | perms


# Decisions (trustline.review): reviewers decide and cross-check; leads may decide any case;
# partners answer questions about their reports; programme managers watch partner precision and set the
# second-review rules (review policy, like crises: the programme's call, not the reviewers').
_REVIEW_PERMS: dict[str, set[Perm]] = {
    Role.PARTNER_ANALYST: {Perm.INFORMATION_REQUEST_ANSWER},
    Role.PARTNER_ADMIN: {Perm.INFORMATION_REQUEST_ANSWER},
    Role.REVIEWER: {Perm.DECISION_RECORD, Perm.DECISION_SECOND_REVIEW},
    Role.ESCALATION_LEAD: {
        Perm.DECISION_RECORD, Perm.DECISION_RECORD_ANY, Perm.DECISION_SECOND_REVIEW, Perm.PRECISION_VIEW,
    },
    Role.PROGRAMME_MANAGER: {Perm.PRECISION_VIEW, Perm.SECOND_REVIEW_RULE_MANAGE},
}
_grant(_REVIEW_PERMS)

# Routing and queues (trustline.routing): the people who work the review queue see it (auditors read it);
# reviewers and leads claim, leads also reassign; leads and programme managers set reviewers' skills.
# Law-enforcement liaisons handle their own requests and do not see the queue or its internal comments.
_ROUTING_PERMS: dict[str, set[Perm]] = {
    Role.REVIEWER: {Perm.QUEUE_VIEW, Perm.CASE_CLAIM, Perm.CASE_COMMENT, Perm.CASE_TAG},
    Role.ESCALATION_LEAD: {
        Perm.QUEUE_VIEW, Perm.CASE_CLAIM, Perm.CASE_ASSIGN, Perm.CASE_COMMENT, Perm.CASE_TAG,
        Perm.REVIEWER_SKILLS_MANAGE,
    },
    Role.PROGRAMME_MANAGER: {Perm.QUEUE_VIEW, Perm.CASE_COMMENT, Perm.CASE_TAG, Perm.REVIEWER_SKILLS_MANAGE},
    Role.POLICY_ANALYST: {Perm.QUEUE_VIEW, Perm.CASE_COMMENT, Perm.CASE_TAG},
    Role.AUDITOR: {Perm.QUEUE_VIEW},
}
_grant(_ROUTING_PERMS)

# Contests, policy review and notification settings: partners contest and give policy feedback;
# reviewers and leads handle contests (leads also assign); policy analysts run the policy queue;
# partner admins manage their organisation's notifications (administrators hold every Perm).
_APPEAL_POLICY_PERMS: dict[str, set[Perm]] = {
    Role.PARTNER_ANALYST: {Perm.APPEAL_SUBMIT, Perm.POLICY_FEEDBACK_SUBMIT},
    Role.PARTNER_ADMIN: {Perm.APPEAL_SUBMIT, Perm.POLICY_FEEDBACK_SUBMIT, Perm.NOTIFICATION_MANAGE_OWN},
    Role.REVIEWER: {Perm.APPEAL_VIEW_ALL, Perm.APPEAL_HANDLE},
    Role.ESCALATION_LEAD: {Perm.APPEAL_VIEW_ALL, Perm.APPEAL_HANDLE, Perm.APPEAL_ASSIGN, Perm.POLICY_REVIEW_VIEW},
    Role.PROGRAMME_MANAGER: {Perm.APPEAL_VIEW_ALL, Perm.POLICY_REVIEW_VIEW},
    Role.POLICY_ANALYST: {Perm.APPEAL_VIEW_ALL, Perm.POLICY_REVIEW_VIEW, Perm.POLICY_REVIEW_HANDLE},
    Role.AUDITOR: {Perm.APPEAL_VIEW_ALL, Perm.POLICY_REVIEW_VIEW},
}
_grant(_APPEAL_POLICY_PERMS)

# Legal reviewers (law-enforcement requests) read cases like other staff; trustline.lawenforcement adds the rest.
ROLE_PERMS[Role.LEGAL_REVIEWER] = frozenset(_STAFF_READ)

# --- oncall: role grants ---
# Reviewers and leads are paged and respond; leads also downgrade and run the rotas; auditors and
# programme managers read the board. Partners see only the timeline of their own reports.
# Emergencies of law-enforcement requests are on the board for leads (and whoever they paged) only.
_ONCALL_PERMS: dict[str, set[Perm]] = {
    Role.REVIEWER: {Perm.ONCALL_VIEW, Perm.EMERGENCY_RESPOND},
    Role.ESCALATION_LEAD: {
        Perm.ONCALL_VIEW, Perm.EMERGENCY_RESPOND, Perm.EMERGENCY_DOWNGRADE, Perm.ONCALL_MANAGE, Perm.EMERGENCY_LE_VIEW,
    },
    Role.PROGRAMME_MANAGER: {Perm.ONCALL_VIEW},
    Role.AUDITOR: {Perm.ONCALL_VIEW},
}
_grant(_ONCALL_PERMS)
# --- end oncall ---

# --- crisis: role grants ---
# Staff who work cases see crises; programme managers designate, change and end them.
_CRISIS_PERMS: dict[str, set[Perm]] = {
    Role.REVIEWER: {Perm.CRISIS_VIEW},
    Role.ESCALATION_LEAD: {Perm.CRISIS_VIEW},
    Role.PROGRAMME_MANAGER: {Perm.CRISIS_VIEW, Perm.CRISIS_MANAGE},
    Role.POLICY_ANALYST: {Perm.CRISIS_VIEW},
    Role.AUDITOR: {Perm.CRISIS_VIEW},
}
_grant(_CRISIS_PERMS)
# --- end crisis ---

# --- protection: role grants ---
# Partners nominate; the registry of protected people is seen and decided by programme managers and
# escalation leads only (everyone else gets 404 for it).
_PROTECTION_PERMS: dict[str, set[Perm]] = {
    Role.PARTNER_ANALYST: {Perm.PROTECTION_NOMINATE},
    Role.PARTNER_ADMIN: {Perm.PROTECTION_NOMINATE},
    Role.ESCALATION_LEAD: {Perm.PROTECTION_REGISTRY_VIEW, Perm.PROTECTION_DECIDE},
    Role.PROGRAMME_MANAGER: {Perm.PROTECTION_REGISTRY_VIEW, Perm.PROTECTION_DECIDE},
}
_grant(_PROTECTION_PERMS)
# --- end protection ---

# --- metrics: role grants ---
# Staff who answer for the programme's numbers read the metrics; programme managers also read every
# partner's scorecard; partners read only their own organisation's figures (the selectors narrow them).
_METRICS_PERMS: dict[str, set[Perm]] = {
    Role.PARTNER_ANALYST: {Perm.METRICS_VIEW_OWN},
    Role.PARTNER_ADMIN: {Perm.METRICS_VIEW_OWN},
    Role.ESCALATION_LEAD: {Perm.METRICS_VIEW},
    Role.PROGRAMME_MANAGER: {Perm.METRICS_VIEW, Perm.SCORECARD_VIEW},
    Role.POLICY_ANALYST: {Perm.METRICS_VIEW},
    Role.AUDITOR: {Perm.METRICS_VIEW},
}
_grant(_METRICS_PERMS)
# --- end metrics ---

# --- transparency: role grants ---
# Programme managers, policy analysts and auditors export statements and the transparency report (administrators
# hold every Perm, including TRANSPARENCY_SUBMIT); partners download their own organisation's annual report.
_TRANSPARENCY_PERMS: dict[str, set[Perm]] = {
    Role.PROGRAMME_MANAGER: {Perm.TRANSPARENCY_EXPORT},
    Role.POLICY_ANALYST: {Perm.TRANSPARENCY_EXPORT},
    Role.AUDITOR: {Perm.TRANSPARENCY_EXPORT},
    Role.PARTNER_ANALYST: {Perm.TRANSPARENCY_PARTNER_REPORT},
    Role.PARTNER_ADMIN: {Perm.TRANSPARENCY_PARTNER_REPORT},
}
_grant(_TRANSPARENCY_PERMS)
# --- end transparency ---

# --- trends: role grants ---
# Spikes are for the people who run the programme and its policy; reviewers and leads see clusters so they
# can decide related cases together; partners get the insight report for their own countries only.
_TRENDS_PERMS: dict[str, set[Perm]] = {
    Role.PARTNER_ANALYST: {Perm.INSIGHT_REPORT_VIEW},
    Role.PARTNER_ADMIN: {Perm.INSIGHT_REPORT_VIEW},
    Role.REVIEWER: {Perm.INCIDENT_VIEW},
    Role.ESCALATION_LEAD: {Perm.SPIKE_VIEW, Perm.INCIDENT_VIEW},
    Role.PROGRAMME_MANAGER: {Perm.SPIKE_VIEW, Perm.SPIKE_DISMISS, Perm.INCIDENT_VIEW, Perm.INSIGHT_REPORT_VIEW},
    Role.POLICY_ANALYST: {Perm.SPIKE_VIEW, Perm.SPIKE_DISMISS, Perm.INCIDENT_VIEW, Perm.INSIGHT_REPORT_VIEW},
    Role.AUDITOR: {Perm.SPIKE_VIEW, Perm.INCIDENT_VIEW},
}
_grant(_TRENDS_PERMS)
# --- end trends ---

# --- signals: role grants ---
# Signal exchange with peer platforms: a peer's key exchanges under its agreement; escalation leads and policy
# analysts decide what is shared; programme managers set the agreements; reviewers see peers' signals on cases.
_SIGNAL_PERMS: dict[str, set[Perm]] = {
    Role.PEER_EXCHANGE: {Perm.SIGNAL_EXCHANGE},
    Role.REVIEWER: {Perm.SIGNAL_VIEW},
    Role.ESCALATION_LEAD: {Perm.SIGNAL_VIEW, Perm.SIGNAL_SHARE},
    Role.POLICY_ANALYST: {Perm.SIGNAL_VIEW, Perm.SIGNAL_SHARE},
    Role.PROGRAMME_MANAGER: {Perm.SIGNAL_VIEW, Perm.SIGNAL_AGREEMENT_MANAGE},
    Role.AUDITOR: {Perm.SIGNAL_VIEW},
}
_grant(_SIGNAL_PERMS)
# --- end signals ---

# --- lawenforcement: role grants ---
# Liaisons run the channel; legal reviewers read it, decide requests, approve referrals and manage holds.
# Nobody else sees it (administrators hold every Perm); partners get 404 (lawenforcement.permissions).
_LAWENFORCEMENT_PERMS: dict[str, set[Perm]] = {
    Role.LAW_ENFORCEMENT_LIAISON: {
        Perm.LE_DIRECTORY_VIEW, Perm.LE_DIRECTORY_MANAGE, Perm.LE_REQUEST_VIEW, Perm.LE_REQUEST_HANDLE,
        Perm.LE_REFERRAL_MANAGE, Perm.LE_REFERRAL_APPROVE, Perm.LE_FIGURES_VIEW,
    },
    Role.LEGAL_REVIEWER: {
        Perm.LE_DIRECTORY_VIEW, Perm.LE_REQUEST_VIEW, Perm.LE_REQUEST_REVIEW, Perm.LE_REFERRAL_APPROVE,
        Perm.LE_FIGURES_VIEW,
    },
}
_grant(_LAWENFORCEMENT_PERMS)
# --- end lawenforcement ---

# --- console: role grants ---
_CONSOLE_PERMS: dict[str, set[Perm]] = {
    Role.PARTNER_ADMIN: {Perm.SECURITY_POLICY_MANAGE_OWN},
    Role.ESCALATION_LEAD: {Perm.DASHBOARD_VIEW},
    Role.PROGRAMME_MANAGER: {Perm.DASHBOARD_VIEW},
    Role.POLICY_ANALYST: {Perm.DASHBOARD_VIEW},
    Role.AUDITOR: {Perm.DASHBOARD_VIEW},
}
_grant(_CONSOLE_PERMS)
# --- end console ---


@dataclass(frozen=True)
class Actor:
    """Whoever is acting, resolved once per request or job."""

    kind: str  # "user", "api_key" or "system"
    organisation: Organisation | None
    roles: frozenset[str] = field(default_factory=frozenset)
    user: User | None = None
    api_key: ApiKey | None = None

    @property
    def perms(self) -> frozenset[Perm]:
        result: set[Perm] = set()
        for role in self.roles:
            result |= ROLE_PERMS.get(role, frozenset())
        return frozenset(result)

    def has(self, perm: Perm) -> bool:
        return perm in self.perms

    @property
    def organisation_id(self) -> int | None:
        return self.organisation.pk if self.organisation is not None else None

    @property
    def is_staff_side(self) -> bool:
        """True for the platform's own T&S team (and the system)."""
        return self.kind == "system" or (self.organisation is not None and self.organisation.is_platform)

    @property
    def audit_id(self) -> str:
        if self.kind == "user" and self.user is not None:
            return f"user:{self.user.pk}"
        if self.kind == "api_key" and self.api_key is not None:
            return f"api_key:{self.api_key.pk}"
        return "system"

    @property
    def label(self) -> str:
        if self.user is not None:
            return self.user.get_username()
        if self.api_key is not None:
            return f"API key {self.api_key.prefix}"
        return "system"


SYSTEM = Actor(kind="system", organisation=None, roles=frozenset({Role.ADMINISTRATOR}))


def require(actor: Actor, perm: Perm) -> None:
    if not actor.has(perm):
        raise PermissionDenied(f"Your role does not allow this ({perm.value}).", code="forbidden")


P = ParamSpec("P")
R = TypeVar("R")


def requires(perm: Perm, *alternatives: Perm) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare the permission an API operation needs (any one of those given); the actor is ``request.auth``.

    Alternatives exist because one operation can serve two audiences: a
    partner reading its own reports (``REPORT_VIEW_OWN``) and staff reading
    everyone's (``REPORT_VIEW_ALL``); the selector then narrows what each sees.
    """
    accepted = (perm, *alternatives)

    def decorator(func: Callable[P, R]) -> Callable[P, R]:
        @wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            request: Any = args[0]
            if not any(request.auth.has(p) for p in accepted):
                require(request.auth, perm)
            return func(*args, **kwargs)

        wrapper.required_perm = perm  # type: ignore[attr-defined]  # read by the authorisation-matrix test
        wrapper.required_perms = accepted  # type: ignore[attr-defined]  # idem
        return wrapper

    return decorator
