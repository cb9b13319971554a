"""Clustering cases into incidents, incrementally, as they arrive; and rebuilding from scratch.

``incidents_cluster_new`` (the periodic job ``cluster_new_cases``, and the
``incidents_rebuild`` command in a loop):

1. Pick the next batch of cases without a fingerprint, in id order (UUIDv7,
   so creation order), starting a little *before* the cursor
   (``CURSOR_OVERLAP``): a case whose transaction committed after a later one
   is still picked up, and the anti-join on fingerprints makes picking a case
   twice harmless.
2. Outside any transaction, fingerprint each case (``fingerprint.py``: one
   platform ``describe`` call, exact keys, MinHash and LSH bands).
3. One query loads every existing key equal to a key of the batch (within
   ``WINDOW`` of the case's opening: a campaign is bounded in time) with the
   MinHash of candidates; an in-memory index is built from them.
4. In one transaction, for each case in id order: the cases it is linked to
   are those sharing an author, group or domain key, and those sharing an
   LSH band whose estimated Jaccard similarity is at least ``SIMILARITY``.
   With no link the case stays alone. Otherwise it joins the incident of
   its links (linked cases that were alone join too, the first of them as
   the ``first`` member); when its links sit in several incidents, those are
   merged into the oldest (members move; the others keep ``merged_into``).
   Every case's fingerprint and keys are stored; the cursor moves forward.
5. The summaries of the incidents that changed are recomputed from their
   members by aggregate queries, and one audit entry per created, grown or
   merged incident is written in the same transaction.

The signal recorded for a member is its strongest link: same account, same
group, near-duplicate text, then same domain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q

from trustline.accounts.permissions import SYSTEM, Actor
from trustline.audit.choices import AuditAction
from trustline.audit.services import AuditEvent, audit_record, audit_record_many
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import PermissionDenied
from trustline.intake.models import Report, ReportItem
from trustline.trends import fingerprint as fp
from trustline.trends.choices import IncidentKind, KeyKind, Signal
from trustline.trends.detection import base_language
from trustline.trends.models import CaseFingerprint, CaseKey, ClusterCursor, Incident, IncidentMember

CURSOR = "incidents"
CURSOR_OVERLAP = dt.timedelta(hours=1)
WINDOW = dt.timedelta(days=30)
DEFAULT_BATCH = 500
IN_CHUNK = 500
_SIGNAL_RANK = {Signal.SAME_ACCOUNT: 0, Signal.SAME_GROUP: 1, Signal.NEAR_DUPLICATE: 2, Signal.SAME_DOMAIN: 3}
_KEY_SIGNAL = {
    KeyKind.AUTHOR: Signal.SAME_ACCOUNT, KeyKind.GROUP: Signal.SAME_GROUP, KeyKind.DOMAIN: Signal.SAME_DOMAIN,
}


@dataclasses.dataclass
class ClusterResult:
    cases: int = 0
    incidents_created: int = 0
    members_added: int = 0
    incidents_merged: int = 0


@dataclasses.dataclass(frozen=True)
class _Link:
    other: str  # case id
    signal: Signal
    value: str
    similarity: float | None = None

    @property
    def rank(self) -> int:
        return _SIGNAL_RANK[self.signal]


def _require_system(actor: Actor) -> None:
    if actor.kind != "system":
        raise PermissionDenied("Clustering runs as the system (periodic job or command).", code="forbidden")


def _uuid7_floor(moment_ms: int) -> uuid.UUID:
    """The smallest UUIDv7 of a millisecond: every id made at or after it compares greater."""
    return uuid.UUID(int=max(moment_ms, 0) << 80)


def _pending_cases(batch_size: int) -> list[Case]:
    """Step 1."""
    cursor = ClusterCursor.objects.filter(name=CURSOR).first()
    queryset = Case.objects.filter(~Exists(CaseFingerprint.objects.filter(case_id=OuterRef("pk"))))
    if cursor is not None and cursor.last_case_id is not None:
        cursor_ms = cursor.last_case_id.int >> 80
        queryset = queryset.filter(pk__gte=_uuid7_floor(cursor_ms - int(CURSOR_OVERLAP.total_seconds() * 1000)))
    fields = ("id", "opened_at", "item_kind", "canonical_url", "canonical_key")
    return list(queryset.order_by("pk").only(*fields)[:batch_size])


def _facts(cases: list[Case]) -> list[fp.CaseFacts]:
    excerpts: dict[str, list[str]] = defaultdict(list)
    platform_ids: dict[str, str] = {}
    rows = ReportItem.objects.filter(case_id__in=[c.pk for c in cases]).values_list("case_id", "excerpt", "platform_id")
    for case_id, excerpt, platform_id in rows:
        if excerpt:
            excerpts[str(case_id)].append(excerpt)
        if platform_id:
            platform_ids[str(case_id)] = platform_id
    return [
        fp.CaseFacts(
            case_id=str(c.pk), item_kind=c.item_kind, canonical_url=c.canonical_url,
            platform_id=platform_ids.get(str(c.pk), "") if not c.canonical_url else "",
            excerpts=tuple(dict.fromkeys(excerpts.get(str(c.pk), []))),
        )
        for c in cases
    ]


def _chunks(values: list[str], size: int = IN_CHUNK) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


class _Index:
    """Step 3: existing keys, opening times and signatures, extended as the batch is processed."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.opened: dict[str, dt.datetime] = {}
        self.signatures: dict[str, bytes] = {}

    def load(self, prints: dict[str, fp.Fingerprint], since: dt.datetime) -> None:
        values = sorted({value for f in prints.values() for _kind, value in f.keys})
        for chunk in _chunks(values):
            rows = CaseKey.objects.filter(value__in=chunk, opened_at__gte=since).values_list(
                "case_id", "kind", "value", "opened_at"
            )
            for case_id, kind, value, opened_at in rows:
                self.by_key[(kind, value)].append(str(case_id))
                self.opened[str(case_id)] = opened_at
        band_cases = sorted({c for (kind, _v), cases in self.by_key.items() if kind == fp.BAND for c in cases})
        for chunk in _chunks(band_cases):
            for case_id, raw in CaseFingerprint.objects.filter(case_id__in=chunk).values_list("case_id", "minhash"):
                if raw:
                    self.signatures[str(case_id)] = bytes(raw)

    def add(self, case_id: str, opened_at: dt.datetime, print_: fp.Fingerprint) -> None:
        self.opened[case_id] = opened_at
        if print_.minhash is not None:
            self.signatures[case_id] = fp.minhash_bytes(print_.minhash)
        for key in print_.keys:
            self.by_key[key].append(case_id)

    def links(self, case_id: str, opened_at: dt.datetime, print_: fp.Fingerprint) -> list[_Link]:
        """Step 4's link finding for one case, strongest link per other case."""
        best: dict[str, _Link] = {}
        checked: set[str] = set()
        for kind, value in sorted(print_.keys):
            for other in self.by_key.get((kind, value), ()):
                if other == case_id or abs(self.opened[other] - opened_at) > WINDOW:
                    continue
                if kind == fp.BAND:
                    if other in checked or print_.minhash is None or other not in self.signatures:
                        continue
                    checked.add(other)
                    score = fp.similarity(print_.minhash, fp.minhash_from_bytes(self.signatures[other]))
                    if score < fp.SIMILARITY:
                        continue
                    link = _Link(other, Signal.NEAR_DUPLICATE, "", round(score, 3))
                else:
                    link = _Link(other, _KEY_SIGNAL[KeyKind(kind)], value)
                if other not in best or link.rank < best[other].rank:
                    best[other] = link
        return sorted(best.values(), key=lambda x: (x.rank, x.other))


class _Builder:
    """Step 4's membership changes, applied to the database as they are decided."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.membership: dict[str, str] = {}  # case id -> incident id
        self.created: set[str] = set()
        self.grown: dict[str, int] = defaultdict(int)
        self.merged: list[tuple[str, str]] = []  # (absorbed, into)

    def load(self, case_ids: Iterable[str]) -> None:
        ids = sorted(set(case_ids))
        for chunk in _chunks(ids):
            for case_id, incident_id in IncidentMember.objects.filter(case_id__in=chunk).values_list(
                "case_id", "incident_id"
            ):
                self.membership[str(case_id)] = str(incident_id)

    def _join(self, incident_id: str, case_id: str, link: _Link | None) -> None:
        IncidentMember.objects.create(
            incident_id=incident_id, case_id=case_id, joined_at=self.now,
            signal=link.signal if link is not None else Signal.FIRST,
            signal_value=link.value[:300] if link is not None else "",
            matched_case_id=link.other if link is not None else None,
            similarity=link.similarity if link is not None else None,
        )
        self.membership[case_id] = incident_id
        self.grown[incident_id] += 1

    def attach(self, case_id: str, links: list[_Link]) -> None:
        incidents = sorted({self.membership[x.other] for x in links if x.other in self.membership})
        if not incidents:
            first = links[0]
            incident = Incident.objects.create(
                title="", first_seen_at=self.now, last_seen_at=self.now, created_at=self.now, updated_at=self.now,
            )
            target = str(incident.pk)
            self.created.add(target)
            self._join(target, first.other, None)
        else:
            target = incidents[0]  # UUIDv7: the oldest incident absorbs the others
            for absorbed in incidents[1:]:
                IncidentMember.objects.filter(incident_id=absorbed).update(incident_id=target)
                Incident.objects.filter(pk=absorbed).update(
                    merged_into_id=target, member_count=0, updated_at=self.now
                )
                for member, incident_id in list(self.membership.items()):
                    if incident_id == absorbed:
                        self.membership[member] = target
                self.merged.append((absorbed, target))
                self.grown.pop(absorbed, None)
                self.created.discard(absorbed)
        self._join(target, case_id, links[0])
        for link in links:
            if link.other not in self.membership:
                self._join(target, link.other, _Link(case_id, link.signal, link.value, link.similarity))


def incidents_cluster_new(*, actor: Actor = SYSTEM, batch_size: int = DEFAULT_BATCH) -> ClusterResult:
    """Fingerprint and cluster the next batch of new cases (see the module docstring)."""
    _require_system(actor)
    cases = _pending_cases(batch_size)
    result = ClusterResult(cases=len(cases))
    if not cases:
        return result
    prints = {facts.case_id: fp.fingerprint(facts) for facts in _facts(cases)}  # step 2, no transaction
    now = clock.now()
    with transaction.atomic():
        # Overlapping runs (a slow run and the next minute's) take turns on the cursor row; the later one
        # drops the cases the earlier one stored meanwhile.
        ClusterCursor.objects.get_or_create(name=CURSOR, defaults={"updated_at": now})
        ClusterCursor.objects.select_for_update().get(name=CURSOR)
        done = {str(i) for i in CaseFingerprint.objects.filter(case_id__in=[c.pk for c in cases])
                .values_list("case_id", flat=True)}
        cases = [c for c in cases if str(c.pk) not in done]
        if not cases:
            return result
        index = _Index()
        index.load(prints, since=min(c.opened_at for c in cases) - WINDOW)
        builder = _Builder(now)
        builder.load(index.opened)
        fingerprints: list[CaseFingerprint] = []
        keys: list[tuple[uuid.UUID, str, str, dt.datetime]] = []
        for case in cases:
            case_id, print_ = str(case.pk), prints[str(case.pk)]
            links = index.links(case_id, case.opened_at, print_)
            if links:
                builder.attach(case_id, links)
            index.add(case_id, case.opened_at, print_)
            fingerprints.append(CaseFingerprint(
                case_id=case.pk, opened_at=case.opened_at, author=print_.author[:300], text_chars=print_.text_chars,
                minhash=fp.minhash_bytes(print_.minhash) if print_.minhash is not None else None,
                described=print_.described, processed_at=now,
            ))
            keys += [(case.pk, kind, value[:300], case.opened_at) for kind, value in print_.keys]
        CaseFingerprint.objects.bulk_create(fingerprints, ignore_conflicts=True)
        _insert_keys(keys)
        last = max(c.pk for c in cases)
        ClusterCursor.objects.filter(name=CURSOR).filter(
            Q(last_case_id__isnull=True) | Q(last_case_id__lt=last)
        ).update(last_case_id=last, updated_at=now)
        _finish(actor=actor, builder=builder, result=result)
    return result


def _insert_keys(keys: list[tuple[uuid.UUID, str, str, dt.datetime]]) -> None:
    """Insert keys with one ``executemany`` (about 35 per case: ``bulk_create`` spends ten times longer in Python).

    Values are adapted by the model's own fields, so the statement is the
    same on SQLite and PostgreSQL; ``ON CONFLICT DO NOTHING`` (both support
    it) makes a case processed twice harmless.
    """
    if not keys:
        return
    meta = CaseKey._meta
    case_field, opened_field = meta.get_field("case"), meta.get_field("opened_at")
    quote = connection.ops.quote_name
    rows = [
        (case_field.get_db_prep_save(case_id, connection), kind, value,
         opened_field.get_db_prep_save(opened_at, connection))
        for case_id, kind, value, opened_at in keys
    ]
    columns = ", ".join(quote(c) for c in (case_field.column, "kind", "value", opened_field.column))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",  # noqa: S608 - names from the model, values bound
            rows,
        )


def _finish(*, actor: Actor, builder: _Builder, result: ClusterResult) -> None:
    """Step 5."""
    events: list[AuditEvent] = []
    for absorbed, into in builder.merged:
        events.append(AuditEvent(AuditAction.INCIDENT_MERGED, "trends.incident", absorbed, {"merged_into": into}))
    refreshed = incidents_refresh(incident_ids=sorted(builder.grown))
    for incident in refreshed:
        incident_id = str(incident.pk)
        data = {"members_added": builder.grown[incident_id], "member_count": incident.member_count,
                "kind": incident.kind}
        action = AuditAction.INCIDENT_CREATED if incident_id in builder.created else AuditAction.INCIDENT_MEMBERS_ADDED
        events.append(AuditEvent(action, "trends.incident", incident_id, data))
    if events:
        audit_record_many(actor=actor, events=events)
    result.incidents_created += len(builder.created)
    result.members_added += sum(builder.grown.values())
    result.incidents_merged += len(builder.merged)


def _grouped(rows: Iterable[tuple[object, object]]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    for key, value in rows:
        if value not in (None, ""):
            grouped[str(key)].add(str(value))
    return grouped


def incidents_refresh(*, incident_ids: list[str]) -> list[Incident]:
    """Recompute incidents' counters and summaries from their members: a fixed number of grouped queries."""
    if not incident_ids:
        return []
    by = "incident_membership__incident_id"
    cases = Case.objects.filter(**{f"{by}__in": incident_ids})
    aggregates = {
        str(row[by]): row
        for row in cases.values(by).annotate(n=Count("id"), first=Min("opened_at"), last=Max("last_reported_at"))
    }
    countries = _grouped(cases.values_list(by, "country").distinct())
    categories = _grouped(cases.values_list(by, "category_code").distinct())
    item_by = f"items__case__{by}"
    reports = Report.objects.filter(**{f"{item_by}__in": incident_ids})
    languages = _grouped((k, base_language(v)) for k, v in reports.values_list(item_by, "language").distinct())
    partners = _grouped(reports.values_list(item_by, "organisation_id").distinct())
    authors = _grouped(
        CaseFingerprint.objects.filter(**{f"case__{by}__in": incident_ids}).values_list(f"case__{by}", "author")
    )
    signals: dict[str, dict[str, int]] = defaultdict(dict)
    for row in IncidentMember.objects.filter(incident_id__in=incident_ids).values("incident_id", "signal").annotate(
        n=Count("id")
    ):
        signals[str(row["incident_id"])][row["signal"]] = row["n"]
    now = clock.now()
    incidents = list(Incident.objects.filter(pk__in=incident_ids).order_by("pk"))
    for incident in incidents:
        key = str(incident.pk)
        agg = aggregates.get(key, {})
        incident_countries = sorted(countries.get(key, set()))
        incident_categories = sorted(categories.get(key, set()))
        account_count = len(authors.get(key, set()))
        campaign = signals[key].get(Signal.NEAR_DUPLICATE, 0) > 0 and account_count >= 2
        kind = IncidentKind.CAMPAIGN if campaign else IncidentKind.INCIDENT
        where = ", ".join(incident_countries[:4]) or "unknown country"
        what = ", ".join(incident_categories[:2]).replace("_", " ") or "reports"
        incident.kind = kind
        incident.title = f"{kind.label}: {what} in {where}"[:200]
        incident.member_count = int(agg.get("n") or 0)
        incident.account_count = account_count
        incident.partner_count = len(partners.get(key, set()))
        incident.countries, incident.categories = incident_countries, incident_categories
        incident.languages = sorted(languages.get(key, set()) - {"und"})
        incident.signals = signals[key]
        incident.first_seen_at = agg.get("first") or incident.first_seen_at
        incident.last_seen_at = agg.get("last") or incident.last_seen_at
        incident.updated_at = now
    Incident.objects.bulk_update(incidents, [
        "kind", "title", "member_count", "account_count", "partner_count", "countries", "languages", "categories",
        "signals", "first_seen_at", "last_seen_at", "updated_at",
    ])
    return incidents


def incidents_rebuild(*, actor: Actor = SYSTEM, batch_size: int = DEFAULT_BATCH) -> ClusterResult:
    """Forget every incident and fingerprint and cluster all cases again, oldest first.

    For a changed method or settings (window, similarity, ignored domains).
    Incident ids change: links people kept to old incidents stop working.
    """
    _require_system(actor)
    with transaction.atomic():
        forgotten = Incident.objects.count()
        IncidentMember.objects.all().delete()
        Incident.objects.all().delete()
        CaseKey.objects.all().delete()
        CaseFingerprint.objects.all().delete()
        ClusterCursor.objects.filter(name=CURSOR).delete()
        audit_record(actor=actor, action=AuditAction.INCIDENTS_REBUILT, target=("trends.incident", "*"),
                     data={"incidents_forgotten": forgotten})
    total = ClusterResult()
    while True:
        step = incidents_cluster_new(actor=actor, batch_size=batch_size)
        if step.cases == 0:
            return total
        total.cases += step.cases
        total.incidents_created += step.incidents_created
        total.members_added += step.members_added
        total.incidents_merged += step.incidents_merged
