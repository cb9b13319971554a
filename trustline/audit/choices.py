"""Audit actions: stable, namespaced values. Append new ones; never rename."""

from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    ORGANISATION_CREATED = "organisation.created"
    MEMBERSHIP_ADDED = "membership.added"
    MEMBERSHIP_REMOVED = "membership.removed"
    USER_CREATED = "user.created"
    APIKEY_CREATED = "apikey.created"
    APIKEY_REVOKED = "apikey.revoked"
    ACCREDITATION_CHANGED = "accreditation.changed"
    REPORT_SUBMITTED = "report.submitted"
    REPORT_REPLAYED = "report.replayed"
    BULK_UPLOADED = "bulk.uploaded"
    CASE_OPENED = "case.opened"
    EVIDENCE_ADDED = "evidence.added"
    EVIDENCE_VIEWED = "evidence.viewed"
    # Triage and SLAs (trustline.triage)
    CASE_TRIAGED = "case.triaged"
    CASE_RETIERED = "case.retiered"
    CASE_REPRIORITISED = "case.reprioritised"
    SLA_BREACHED = "sla.breached"
    SLA_POLICY_CHANGED = "sla_policy.changed"
    # Enforcement on the platform (trustline.platforms)
    ENFORCEMENT_REQUESTED = "enforcement.requested"
    ENFORCEMENT_APPLIED = "enforcement.applied"
    ENFORCEMENT_CONFIRMED = "enforcement.confirmed"
    # Decisions (trustline.review)
    DECISION_RECORDED = "decision.recorded"
    DECISION_CONFIRMED = "decision.confirmed"
    DECISION_REJECTED = "decision.rejected"
    CASE_DECIDED = "case.decided"
    CASE_CLOSED = "case.closed"
    CASE_RETURNED_TO_REVIEW = "case.returned_to_review"
    CLOCK_PAUSED = "case.clock_paused"
    CLOCK_RESUMED = "case.clock_resumed"
    INFORMATION_REQUESTED = "information_request.created"
    INFORMATION_PROVIDED = "information_request.answered"
    INFORMATION_REQUEST_EXPIRED = "information_request.expired"
    DECISION_TEMPLATE_CHANGED = "decision_template.changed"
    SECOND_REVIEW_RULE_CHANGED = "second_review_rule.changed"
    # Contests of decisions, DSA Art. 20 (trustline.appeals)
    APPEAL_SUBMITTED = "appeal.submitted"
    APPEAL_CLAIMED = "appeal.claimed"
    APPEAL_ASSIGNED = "appeal.assigned"
    APPEAL_RELEASED = "appeal.released"
    APPEAL_DECIDED = "appeal.decided"
    APPEAL_WITHDRAWN = "appeal.withdrawn"
    # Policy review queue and partner policy feedback (trustline.policy)
    POLICY_ITEM_OPENED = "policy_item.opened"
    POLICY_FEEDBACK_SUBMITTED = "policy_item.feedback_submitted"
    POLICY_ITEM_CLAIMED = "policy_item.claimed"
    POLICY_ITEM_ASSIGNED = "policy_item.assigned"
    POLICY_ITEM_COMMENTED = "policy_item.commented"
    POLICY_ITEM_CONCLUDED = "policy_item.concluded"
    # Notification settings and webhook endpoints (trustline.notifications)
    NOTIFICATION_SETTINGS_CHANGED = "notification_settings.changed"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"  # noqa: S105 - an action name, not a secret
    WEBHOOK_DISABLED = "webhook.disabled"
    # Routing and queues (trustline.routing)
    CASE_ROUTED = "case.routed"
    CASE_CLAIMED = "case.claimed"
    CASE_RELEASED = "case.released"
    CASE_LEASE_EXPIRED = "case.lease_expired"
    CASE_REASSIGNED = "case.reassigned"
    CASE_HELD = "case.held"
    CASE_UNHELD = "case.unheld"
    CASE_COMMENTED = "case.commented"
    CASE_TAGGED = "case.tagged"
    CASE_UNTAGGED = "case.untagged"
    REVIEWER_SKILLS_CHANGED = "reviewer.skills_changed"
    REVIEWER_SHIFT_CHANGED = "reviewer.shift_changed"
    SAVED_QUEUE_CHANGED = "saved_queue.changed"
