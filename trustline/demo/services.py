"""Loading the demo programme, only through the other apps' services.

``demo_load`` is one transaction: either the whole programme is there or
none of it, so a failed run can simply be run again. It is backdated with
``clock.frozen_at``: the team and the partners are onboarded ten weeks ago,
and each report is submitted at its planned moment, so timelines, audit
entries and case counters look like two months of real work.

1. Create the platform team ("Kite Trust & Safety") and its staff, as the
   system; and a Django superuser ``admin`` for the admin site.
2. Onboard the partners as the programme manager: accreditation, people
   (one partner admin each, the others analysts) and one API key each,
   created by the partner admin.
3. Submit the planned reports (``plan.plan_reports``) as the partners do:
   through ``report_submit`` with the partner's API key or an analyst's
   session actor, or as a bulk CSV through ``bulk_submit``; attach a
   monitoring note as evidence to some. They are submitted by
   :class:`ReportReplay` as the review step's clock reaches them, so
   reports and the team's work interleave as they do in a real programme.
4. Run the later capabilities' steps (``extensions.demo_extend``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.test.utils import override_settings

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.models import ApiKey, Membership, Organisation, User
from trustline.accounts.permissions import SYSTEM, Actor
from trustline.accounts.services import apikey_create, membership_add, organisation_create, user_create
from trustline.audit.choices import AuditAction
from trustline.audit.services import audit_record, audit_seal_all
from trustline.cases.models import Case
from trustline.core import clock
from trustline.core.exceptions import ApplicationError
from trustline.demo.extensions import DemoContext, demo_extend
from trustline.demo.plan import DemoData, PlannedReport, load_data, plan_reports
from trustline.demo.screenshots import post_screenshot
from trustline.intake.bulk import bulk_submit
from trustline.intake.choices import Channel
from trustline.intake.evidence import evidence_attach
from trustline.intake.models import Report, ReportItem
from trustline.intake.schemas import ReportIn
from trustline.intake.services import report_submit
from trustline.partners.services import partner_create

DEMO_PASSWORD = "trustline-demo"  # noqa: S105 - printed on purpose: the demo's shared password
PLATFORM_SLUG = "kite-ts"
SUPERUSER = "admin"
ONBOARDED_DAYS_AGO = 70


class QuickDemoHasher(PBKDF2PasswordHasher):
    """PBKDF2 with few iterations, used only while the demo is loaded.

    The demo's people share one password that is printed on the screen;
    hashing it at full strength for each of them takes longer than loading
    every report. Django notices the low iteration count when each person
    first signs in and re-hashes the password at full strength then.
    """

    iterations = 1_000


class DemoAlreadyLoaded(ApplicationError):
    status = 409
    code = "demo_already_loaded"


@dataclass
class DemoSummary:
    platform: str
    staff: int
    partners: int
    people: int
    reports: int
    items: int
    cases: int
    multi_partner_cases: int
    merged_cases: int
    imminent_harm: int
    channels: dict[str, int]
    logins: list[tuple[str, str, str]]  # (what, username, organisation)
    api_key_partner: str = ""
    api_key_slug: str = ""
    api_key: str = ""
    bulk_uploads: int = 0
    evidence: int = 0
    first_report: dt.datetime | None = None
    sample_report: str = ""
    notes: list[str] = field(default_factory=list)


def demo_is_loaded() -> bool:
    return Organisation.objects.filter(slug=PLATFORM_SLUG).exists()


def _user_actor(user: User, organisation: Organisation, role: Role) -> Actor:
    return Actor(kind="user", organisation=organisation, roles=frozenset({role}), user=user)


@transaction.atomic
def demo_superuser_create(*, actor: Actor, username: str, email: str, password: str) -> User:
    """A Django superuser for the admin site; staff only, audited like any new user."""
    user = User(username=username, email=email, full_name="Demo administrator", is_staff=True, is_superuser=True)
    user.set_password(password)
    user.save()
    audit_record(
        actor=actor, action=AuditAction.USER_CREATED, target=user,
        data={"username": username, "is_staff": True, "is_superuser": True},
    )
    return user


@override_settings(PASSWORD_HASHERS=[f"{__name__}.QuickDemoHasher"])
@transaction.atomic
def demo_load(*, now: dt.datetime | None = None) -> DemoSummary:
    """Create the whole demo programme (see the module docstring); refuse if it is there."""
    if demo_is_loaded():
        raise DemoAlreadyLoaded("The demo programme is already loaded (organisation kite-ts exists).")
    now = now or clock.now()
    data = load_data()
    onboarded = now - dt.timedelta(days=ONBOARDED_DAYS_AGO)
    with clock.frozen_at(onboarded):
        platform, staff, manager = _platform_create(data)
    partners, keys, logins = _partners_create(data, manager=manager, start=onboarded + dt.timedelta(hours=2))
    plan = plan_reports(data, now=now)
    replay = ReportReplay(plan, partners=partners, keys=keys)
    ctx = DemoContext(now=now, platform=platform, staff={u.username: u for u in staff}, partners=partners, data=data,
                      reports=replay)
    notes = demo_extend(ctx)
    replay.until(now)  # whatever no step replayed (none, if the review step is installed)
    stats = replay.stats
    reviewer = next(s for s in data.staff if "reviewer" in s["roles"])
    logins += [("reviewer", reviewer["username"], platform.name), ("admin site", SUPERUSER, "staff only")]
    first_partner = data.partners[0]["slug"]
    summary = _summary(data, platform, staff, partners, logins, keys_raw=keys, slug=first_partner, stats=stats)
    summary.notes = notes
    audit_seal_all()  # chain the demo's history now rather than on the worker's first run
    return summary


def _platform_create(data: DemoData) -> tuple[Organisation, list[User], Actor]:
    info = data.platform
    platform = organisation_create(
        actor=SYSTEM, name=info["name"], kind=OrganisationKind.PLATFORM, slug=info["slug"],
        contact_email=f"trusted-partners@{data.platform_url.split('://', 1)[1]}",
    )
    staff: list[User] = []
    manager: Actor | None = None
    for person in data.staff:
        user = user_create(
            actor=SYSTEM, username=person["username"], email=person["email"], full_name=person["full_name"],
            password=DEMO_PASSWORD,
        )
        for role in person["roles"]:
            membership_add(actor=SYSTEM, user=user, organisation=platform, role=Role(role))
        if Role.PROGRAMME_MANAGER in person["roles"] and manager is None:
            manager = _user_actor(user, platform, Role.PROGRAMME_MANAGER)
        staff.append(user)
    admin = demo_superuser_create(
        actor=SYSTEM, username=SUPERUSER, email=f"admin@{data.platform_url.split('://', 1)[1]}",
        password=DEMO_PASSWORD,
    )
    membership_add(actor=SYSTEM, user=admin, organisation=platform, role=Role.ADMINISTRATOR)
    return platform, staff, manager or SYSTEM


def _partners_create(
    data: DemoData, *, manager: Actor, start: dt.datetime
) -> tuple[dict[str, Organisation], dict[str, tuple[Actor, str]], list[tuple[str, str, str]]]:
    """Onboard each partner a few days apart; returns organisations, API-key actors and sample logins."""
    partners: dict[str, Organisation] = {}
    keys: dict[str, tuple[Actor, str]] = {}
    logins: list[tuple[str, str, str]] = []
    for n, info in enumerate(data.partners):
        with clock.frozen_at(start + dt.timedelta(days=n // 2, hours=n)):
            organisation = partner_create(
                actor=manager, name=info["name"], slug=info["slug"], countries=info["countries"],
                languages=info["languages"], expertise=info["expertise"],
                contact_email=f"contact@{info['slug']}.example.org", awarding_dsc=info.get("awarding_dsc", ""),
            )
            admin_actor: Actor | None = None
            for person in info["analysts"]:
                role = Role.PARTNER_ADMIN if person.get("admin") else Role.PARTNER_ANALYST
                user = user_create(
                    actor=manager, username=person["username"], email=person["email"],
                    full_name=person["full_name"], password=DEMO_PASSWORD,
                )
                membership_add(actor=manager, user=user, organisation=organisation, role=role)
                if role == Role.PARTNER_ADMIN and admin_actor is None:
                    admin_actor = _user_actor(user, organisation, role)
                if n == 0:
                    logins.append((str(role.label).lower(), user.username, organisation.name))
            new_key = apikey_create(
                actor=admin_actor or manager, organisation=organisation, name=f"{info['name']} case tracker",
            )
        partners[info["slug"]] = organisation
        key_actor = Actor(
            kind="api_key", organisation=organisation, roles=frozenset({new_key.key.role}), api_key=new_key.key
        )
        keys[info["slug"]] = (key_actor, new_key.raw)
    # One analyst and one admin of the first partner are enough to show both views.
    analyst = next(x for x in logins if x[0] == str(Role.PARTNER_ANALYST.label).lower())
    admin = next(x for x in logins if x[0] == str(Role.PARTNER_ADMIN.label).lower())
    return partners, keys, [analyst, admin]


def _submitter(plan: PlannedReport, partners: dict[str, Organisation], keys: dict[str, tuple[Actor, str]],
               users: dict[str, User], roles: dict[str, Role]) -> Actor:
    if not plan.submitter:
        return keys[plan.partner][0]
    return _user_actor(users[plan.submitter], partners[plan.partner], roles[plan.submitter])


BULK_COLUMNS = (
    "url", "platform_id", "kind", "excerpt", "category", "explanation", "country", "language",
    "imminent_harm", "imminent_harm_reason", "targets", "bona_fide", "report_ref",
)


def _bulk_csv(reports: list[PlannedReport]) -> bytes:
    buffer = io.StringIO()
    # Quote every cell: intake sniffs the dialect, and unquoted text with 'single quotes' in it can make
    # the sniffer pick the wrong quote character.
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(BULK_COLUMNS)
    for report in reports:
        p = report.payload
        for item in p["items"]:
            writer.writerow([
                item.get("url", ""), item.get("platform_id", ""), item["kind"], item.get("excerpt", ""),
                p["category"], p["explanation"], p["country"], p.get("language", ""),
                "true" if p["imminent_harm"] else "false", p["imminent_harm_reason"], ";".join(p["targets"]),
                "true", p["reference"],
            ])
    return buffer.getvalue().encode("utf-8")


class ReportReplay:
    """The planned reports, submitted in time order as the demo's clock reaches them.

    A step that replays the programme's time (the review step) calls
    :meth:`until` before each of its own events, so a report arrives, is
    triaged and is decided in the order a real programme sees, and a report
    of content whose case was already decided opens a new case instead of
    joining a closed one. :func:`~trustline.demo.extensions.demo_extend`
    submits what is left before any step that does not replay time.
    """

    def __init__(self, plan: list[PlannedReport], *, partners: dict[str, Organisation],
                 keys: dict[str, tuple[Actor, str]]) -> None:
        memberships = Membership.objects.filter(organisation__in=partners.values()).select_related("user")
        self.users = {m.user.username: m.user for m in memberships}
        self.roles = {m.user.username: Role(m.role) for m in memberships}
        self.partners, self.keys = partners, keys
        self.plan = plan  # time order (plan_reports sorts it)
        self.batches: dict[str, list[PlannedReport]] = {}
        for report in plan:
            if report.batch:
                self.batches.setdefault(report.batch, []).append(report)
        self.next = 0
        self.stats: Counter[str] = Counter()

    def arrivals(self) -> list[dt.datetime]:
        """When the planned reports arrive, for a replay to schedule its triage runs."""
        return [report.at for report in self.plan]

    def until(self, moment: dt.datetime) -> int:
        """Submit every planned report due by ``moment``, each at its own time; returns how many."""
        done = 0
        while self.next < len(self.plan) and self.plan[self.next].at <= moment:
            report = self.plan[self.next]
            self.next += 1
            if report.batch and report.batch not in self.batches:
                continue  # already sent with its upload
            with clock.frozen_at(report.at):
                done += self._submit(report)
        return done

    def _submit(self, report: PlannedReport) -> int:
        actor = _submitter(report, self.partners, self.keys, self.users, self.roles)
        if report.batch:
            rows = self.batches.pop(report.batch)
            upload = SimpleUploadedFile(f"{report.batch}.csv", _bulk_csv(rows), content_type="text/csv")
            result: dict[str, Any] = bulk_submit(actor=actor, upload=upload, all_or_nothing=True,
                                                 channel=Channel.BULK)
            if result["errors"]:
                raise RuntimeError(f"demo bulk upload {report.batch} was refused: {result['errors'][:3]}")
            self.stats["bulk_uploads"] += 1
            self.stats["bulk"] += len(result["reports"])
            return len(result["reports"])
        submitted = report_submit(
            actor=actor, data=ReportIn(**report.payload),
            channel=Channel.API if report.channel == "api" else Channel.WEB,
            idempotency_key=report.idempotency_key,
        )
        self.stats[report.channel] += 1
        if report.evidence_note:
            evidence_attach(
                actor=actor, report=submitted.report, fileobj=io.BytesIO(report.evidence_note.encode("utf-8")),
                name=f"{report.payload['reference']}-note.txt", declared_type="text/plain",
            )
            self.stats["evidence"] += 1
        if report.evidence_screenshot:
            first = report.payload["items"][0]
            image = post_screenshot(reference=report.payload["reference"], url=first.get("url") or first["platform_id"],
                                    captured_at=report.at)
            evidence_attach(
                actor=actor, report=submitted.report, fileobj=io.BytesIO(image),
                name=f"{report.payload['reference']}-screenshot.png", declared_type="image/png",
            )
            self.stats["evidence"] += 1
        return 1


def _summary(
    data: DemoData, platform: Organisation, staff: list[User], partners: dict[str, Organisation],
    logins: list[tuple[str, str, str]], *, keys_raw: dict[str, tuple[Actor, str]], slug: str, stats: Counter[str],
) -> DemoSummary:
    reports = Report.objects.filter(organisation__in=partners.values())
    cases = Case.objects.filter(items__report__in=reports).distinct()
    counts = cases.aggregate(
        total=Count("id", distinct=True),
        multi=Count("id", filter=Q(partner_count__gt=1), distinct=True),
        merged=Count("id", filter=Q(item_count__gt=1), distinct=True),
    )
    first = reports.order_by("received_at").values_list("received_at", flat=True).first()
    sample = reports.filter(organisation=partners[slug]).order_by("-received_at").values_list("id", flat=True).first()
    return DemoSummary(
        platform=platform.name,
        staff=len(staff),
        partners=len(partners),
        people=User.objects.filter(memberships__organisation__in=partners.values()).distinct().count(),
        reports=reports.count(),
        items=ReportItem.objects.filter(report__in=reports).count(),
        cases=counts["total"],
        multi_partner_cases=counts["multi"],
        merged_cases=counts["merged"],
        imminent_harm=reports.filter(imminent_harm=True).count(),
        channels={c: reports.filter(channel=c).count() for c in Channel.values},
        logins=logins,
        api_key_partner=partners[slug].name,
        api_key_slug=slug,
        api_key=keys_raw[slug][1],
        bulk_uploads=stats["bulk_uploads"],
        evidence=stats["evidence"],
        first_report=first,
        sample_report=str(sample or ""),
    )


def demo_reminder() -> str:
    """How to sign in to an already-loaded demo (printed by ``trustline up`` on later starts)."""
    if not demo_is_loaded():
        return ""
    data = load_data()
    first = data.partners[0]
    admin = next((a for a in first["analysts"] if a.get("admin")), first["analysts"][0])
    analyst = next((a for a in first["analysts"] if not a.get("admin")), admin)
    reviewer = next(s for s in data.staff if "reviewer" in s["roles"])
    keys = ApiKey.objects.filter(organisation__slug=first["slug"], revoked_at__isnull=True).count()
    return (
        f"Demo programme loaded. Sign in with password {DEMO_PASSWORD!r} (unless you changed it) as "
        f"{analyst['username']} (partner analyst), {admin['username']} (partner admin), "
        f"{reviewer['username']} (reviewer) or {SUPERUSER} (admin site).\n"
        f"API keys are shown only once ({first['slug']} has {keys} active); make a new one with:\n"
        f"  trustline apikey_create --org {first['slug']}"
    )
