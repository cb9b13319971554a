"""Receiving partner reports.

``report_submit`` is the one way a report enters Trustline, whatever the
channel (API, web form, bulk CSV):

1. Check the actor may submit and the partner's accreditation is active.
2. Validate and canonicalise everything *before* opening a transaction,
   collecting every problem with its field path, so the partner fixes them all
   at once and the database write lock is held as briefly as possible.
3. In one transaction: replay an ``Idempotency-Key`` seen before, or write the
   report, its items, the cases they join or open, the partner-visible
   timeline and the audit entries. Commit, then acknowledge. Nothing is
   acknowledged that is not committed.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import IntegrityError, transaction

from trustline.accounts.permissions import Actor, Perm, require
from trustline.audit.choices import AuditAction
from trustline.audit.services import AuditEvent, audit_record_many
from trustline.cases.services import CaseIncrement, CaseKey, CaseOpening, cases_add_reports, cases_open_or_join
from trustline.core import clock
from trustline.core.conf import option
from trustline.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from trustline.core.ids import uuid7
from trustline.intake.canonical import UrlRejected, UrlRules, canonical_platform_id, canonicalize_url, load_rules
from trustline.intake.choices import Channel, TimelineKind
from trustline.intake.models import IdempotencyRecord, Report, ReportItem, TimelineEvent
from trustline.intake.schemas import ReportIn
from trustline.partners.selectors import partner_can_submit
from trustline.partners.services import normalise_country, normalise_language
from trustline.taxonomy.models import Category
from trustline.taxonomy.selectors import active_categories

BONA_FIDE_REASON = (
    "must be true: you confirm in good faith that the notice is accurate and complete (DSA Art. 16(2)(d))"
)


@dataclass
class PreparedItem:
    position: int
    kind: str
    url: str
    canonical_url: str
    platform_id: str
    key: str
    key_hash: str
    excerpt: str
    location_details: str


@dataclass
class PreparedReport:
    data: ReportIn
    category: Category
    country: str
    language: str
    items: list[PreparedItem]
    reference: str = ""
    row: int = 0  # first CSV row, for bulk results
    id: uuid.UUID = field(default_factory=uuid7)


@dataclass(frozen=True)
class SubmitResult:
    report: Report
    items: list[ReportItem]
    created: bool


@lru_cache(maxsize=4)
def _rules_from(path: str) -> UrlRules:
    return load_rules(path or None)


def url_rules() -> UrlRules:
    """The deployment's URL rules (``TRUSTLINE_URL_RULES_FILE``), else the packaged ones; compiled once per file."""
    return _rules_from(option("URL_RULES_FILE"))


def categories_by_code(codes: list[str] | None = None) -> dict[str, Category]:
    """Active categories by code (the process's cached copy); only the ones asked for when ``codes`` is given."""
    active = active_categories()
    if codes is None:
        return dict(active)
    return {code: active[code] for code in codes if code in active}


def check_can_submit(actor: Actor) -> None:
    require(actor, Perm.REPORT_SUBMIT)
    if actor.organisation is None:
        raise PermissionDenied("Only a partner organisation can submit reports.")
    blocked = partner_can_submit(actor.organisation)
    if blocked:
        raise PermissionDenied(blocked, code="organisation_inactive")


def report_prepare(*, data: ReportIn, categories: dict[str, Category]) -> PreparedReport:
    """Validate and canonicalise one report; raise ValidationFailed naming every bad field."""
    errors: dict[str, list[str]] = {}

    def fail(name: str, reason: str) -> None:
        errors.setdefault(name, []).append(reason)

    category = categories.get(data.category)
    if category is None:
        fail("category", f"unknown category {data.category!r}; the list is at GET /api/v1/taxonomy")
    if not data.explanation.strip():
        fail("explanation", "must not be empty: explain why the content is harmful or illegal")
    country = language = ""
    try:
        country = normalise_country(data.country)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if data.language:
        try:
            language = normalise_language(data.language)
        except ValidationFailed as exc:
            errors.update(exc.fields)
    if data.imminent_harm and not data.imminent_harm_reason.strip():
        fail("imminent_harm_reason", "required when imminent_harm is true: say what harm and how soon")
    if not data.bona_fide:
        fail("bona_fide", BONA_FIDE_REASON)
    if len(set(data.targets)) != len(data.targets):
        fail("targets", "each target may appear only once")

    items: list[PreparedItem] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data.items):
        prefix = f"items.{index}"
        if bool(item.url) == bool(item.platform_id):
            fail(prefix, "give exactly one of url or platform_id")
            continue
        try:
            if item.url:
                canonical = canonicalize_url(item.url, url_rules())
            else:
                canonical = canonical_platform_id(item.kind, item.platform_id or "")
        except UrlRejected as exc:
            fail(f"{prefix}.{'url' if item.url else 'platform_id'}", exc.reason)
            continue
        if canonical.key in seen:
            fail(f"{prefix}.url" if item.url else f"{prefix}.platform_id",
                 f"the same content as items.{seen[canonical.key]}; list each item once")
            continue
        seen[canonical.key] = index
        items.append(
            PreparedItem(
                position=index,
                kind=item.kind,
                url=item.url or "",
                canonical_url=canonical.url,
                platform_id=(item.platform_id or "").strip(),
                key=canonical.key,
                key_hash=hashlib.sha256(canonical.key.encode("utf-8")).hexdigest(),
                excerpt=item.excerpt,
                location_details=item.location_details,
            )
        )
    if errors:
        first = next(iter(errors))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise ValidationFailed(f"{first}: {errors[first][0]}{more}", fields=errors)
    assert category is not None  # errors would have been raised
    return PreparedReport(
        data=data, category=category, country=country, language=language, items=items, reference=data.reference
    )


def request_fingerprint(data: ReportIn) -> str:
    return hashlib.sha256(data.model_dump_json().encode("utf-8")).hexdigest()


def report_submit(
    *, actor: Actor, data: ReportIn, channel: Channel, idempotency_key: str | None = None
) -> SubmitResult:
    """Receive one report. With an idempotency key, a retry returns the original report."""
    check_can_submit(actor)
    key = (idempotency_key or "").strip()
    if len(key) > 255:
        raise ValidationFailed.field("Idempotency-Key", "must be at most 255 characters")
    fingerprint = request_fingerprint(data) if key else ""
    if key:
        replay = _replay(actor=actor, key=key, fingerprint=fingerprint)
        if replay is not None:
            return replay
    prepared = report_prepare(data=data, categories=categories_by_code([data.category]))
    try:
        with transaction.atomic():
            results = reports_persist(actor=actor, prepared=[prepared], channel=channel)
            if key:
                IdempotencyRecord.objects.create(
                    organisation=results[0].report.organisation,
                    key=key,
                    request_hash=fingerprint,
                    report=results[0].report,
                    created_at=results[0].report.received_at,
                )
    except IntegrityError:
        # A concurrent retry with the same key committed first: answer with its report.
        if key:
            replay = _replay(actor=actor, key=key, fingerprint=fingerprint)
            if replay is not None:
                return replay
        raise
    return results[0]


def _replay(*, actor: Actor, key: str, fingerprint: str) -> SubmitResult | None:
    record = (
        IdempotencyRecord.objects.select_related("report")
        .filter(organisation=actor.organisation, key=key)
        .first()
    )
    if record is None:
        return None
    if record.request_hash != fingerprint:
        raise Conflict(
            "This Idempotency-Key was already used for a different report. Use a new key for a new report; "
            "reuse a key only to retry exactly the same request.",
            code="idempotency_key_reused",
            fields={"Idempotency-Key": ["already used with a different request body"]},
        )
    return SubmitResult(report=record.report, items=list(record.report.items.all()), created=False)


def reports_persist(*, actor: Actor, prepared: Sequence[PreparedReport], channel: Channel) -> list[SubmitResult]:
    """Write validated reports, their items, cases, timeline and audit entries (caller holds the transaction).

    1. Open a case for every distinct content key, or join the open one, in
       one statement (new cases start with their counters set).
    2. For the cases that existed, find which already had a report from this
       partner, so ``partner_count`` counts distinct partners.
    3. Insert reports, items and "received" timeline events in bulk.
    4. Update the counters of the joined cases and append the audit entries
       (unsealed: no lock, see trustline.audit).
    """
    organisation = actor.organisation
    assert organisation is not None  # check_can_submit guarantees it
    now = clock.now()
    openings: dict[str, CaseOpening] = {}  # by key hash; the first report of a key gives its country and category
    for prep in prepared:
        for item in prep.items:
            opening = openings.get(item.key_hash)
            if opening is None:
                opening = openings[item.key_hash] = CaseOpening(
                    key=CaseKey(item.key_hash, item.key, item.canonical_url, item.kind),
                    country=prep.country,
                    category_code=prep.category.code,
                )
            opening.items += 1
            opening.imminent_harm = opening.imminent_harm or prep.data.imminent_harm
    cases, opened = cases_open_or_join(openings=openings.values(), at=now)
    existing_ids = [cases[h] for h in openings if h not in opened]
    opened_ids = {cases[h] for h in opened}
    already_reported: set[uuid.UUID] = set(opened_ids)  # a new case already counts this partner
    if existing_ids:
        already_reported |= set(
            ReportItem.objects.filter(case_id__in=existing_ids, report__organisation=organisation)
            .values_list("case_id", flat=True)
            .distinct()
        )

    reports: list[Report] = []
    items: list[ReportItem] = []
    timeline: list[TimelineEvent] = []
    increments: dict[uuid.UUID, CaseIncrement] = {}
    per_report_items: list[list[ReportItem]] = []
    for prep in prepared:
        data = prep.data
        report = Report(
            id=prep.id,
            organisation=organisation,
            submitted_by=actor.user,
            api_key=actor.api_key,
            channel=channel,
            category=prep.category,
            explanation=data.explanation,
            country=prep.country,
            language=prep.language,
            imminent_harm=data.imminent_harm,
            imminent_harm_reason=data.imminent_harm_reason,
            targets=[str(t) for t in data.targets],
            bona_fide=data.bona_fide,
            dsa_elements={
                "explanation": bool(data.explanation.strip()),
                "exact_location": all(bool(i.canonical_url) for i in prep.items),
                "notifier_identity": bool(organisation.name),
                "bona_fide": data.bona_fide,
            },
            reference=prep.reference,
            received_at=now,
            item_count=len(prep.items),
        )
        reports.append(report)
        these: list[ReportItem] = []
        for item in prep.items:
            case_id = cases[item.key_hash]
            these.append(
                ReportItem(
                    id=uuid7(),
                    report=report,
                    position=item.position,
                    kind=item.kind,
                    url=item.url,
                    canonical_url=item.canonical_url,
                    platform_id=item.platform_id,
                    case_id=case_id,
                    excerpt=item.excerpt,
                    location_details=item.location_details,
                )
            )
            if case_id in opened_ids:
                continue  # born with its counters (cases_open_or_join)
            inc = increments.setdefault(case_id, CaseIncrement())
            inc.items += 1
            inc.imminent_harm = inc.imminent_harm or data.imminent_harm
            if case_id not in already_reported:
                inc.new_partners += 1
                already_reported.add(case_id)
        items.extend(these)
        per_report_items.append(these)
        timeline.append(
            TimelineEvent(report=report, kind=TimelineKind.RECEIVED, at=now, data={"items": len(these)})
        )

    Report.objects.bulk_create(reports)
    ReportItem.objects.bulk_create(items, batch_size=1000)
    TimelineEvent.objects.bulk_create(timeline, batch_size=1000)
    cases_add_reports(increments=increments, at=now)

    events = [
        AuditEvent(
            AuditAction.CASE_OPENED,
            "cases.case",
            str(cases[h]),
            {"key": openings[h].key.canonical_key[:300], "kind": openings[h].key.item_kind},
        )
        for h in openings
        if h in opened
    ]
    events += [
        AuditEvent(
            AuditAction.REPORT_SUBMITTED,
            "intake.report",
            str(report.pk),
            {
                "channel": str(channel),
                "category": report.category.code,
                "country": report.country,
                "items": report.item_count,
                "imminent_harm": report.imminent_harm,
                "cases": sorted({str(i.case_id) for i in these}),
            },
        )
        for report, these in zip(reports, per_report_items, strict=True)
    ]
    audit_record_many(actor=actor, events=events)
    return [
        SubmitResult(report=r, items=these, created=True) for r, these in zip(reports, per_report_items, strict=True)
    ]

