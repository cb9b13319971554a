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
