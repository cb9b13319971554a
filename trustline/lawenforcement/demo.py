"""The law-enforcement step of the demo programme, through this app's services.

1. A legal reviewer joins the platform team (the demo staff has a liaison,
   Marcus Okafor, but nobody to review requests).
2. The directory: agencies in Sudan, Pakistan, the United States, France and
   Kenya, each with two contacts (one a 24/7 line), verified at different
   times so one shows as due for re-verification; all on the public page.
3. Inbound requests: an emergency disclosure request from the FBI,
   verified by call-back, approved and answered within the hour (answering
   it resolved its emergency in the on-call lane); an MLAT request and a
   preservation request from France, which holds the account for 90 days;
   and a fresh emergency request from Kenya, paged through the emergency
   lane and acknowledged by the person on call, so it is on the emergency
   board (``/emergency/``) while the liaison verifies it.
4. One outbound referral of an imminent-harm Sudanese case to Khartoum State
   police, with only the content URL and category, approved by the reviewer.
"""

from __future__ import annotations

import datetime as dt

from trustline.accounts.choices import Role
from trustline.accounts.permissions import SYSTEM, Actor, Perm
from trustline.accounts.selectors import actor_for_user
from trustline.accounts.services import membership_add, user_create
from trustline.cases.models import Case
from trustline.core import clock
from trustline.demo.extensions import DemoContext
from trustline.lawenforcement.directory import AgencyData, ContactData, agency_create, agency_set_status, contact_add
from trustline.lawenforcement.inbound import (
    RequestData,
    disclosure_record,
    request_receive,
    request_record_callback,
    request_review,
    request_verify,
)
from trustline.lawenforcement.models import Agency
from trustline.lawenforcement.referrals import referral_approve, referral_create, referral_send
from trustline.oncall.models import Emergency, PageStep
from trustline.oncall.services import emergency_acknowledge

AGENCIES = [
    ("Khartoum State Police: Cybercrime Unit", "SD", "Khartoum", ("threat_to_life", "cybercrime"),
     "police.gov.sd", "+249 183 000 999", 20),
    ("Sudan Police Force: Family and Child Protection Unit", "SD", "", ("child_safety", "missing_persons"),
     "police.gov.sd", "+249 183 000 111", 120),
    ("FIA Cyber Crime Wing", "PK", "", ("cybercrime", "fraud", "threat_to_life", "hate_crime"), "fia.gov.pk",
     "+92 51 111 345 786", 30),
    ("FBI: Internet Crime Complaint Center and Field Operations", "US", "", ("threat_to_life", "terrorism", "fraud",
     "child_safety"), "fbi.gov", "+1 202 324 3000", 10),
    ("OFMIN: Office mineurs (Office for Minors)", "FR", "", ("child_safety",), "interieur.gouv.fr",
     "+33 1 40 97 00 00", 45),
    ("Pharos (signalement des contenus illicites)", "FR", "", ("terrorism", "hate_crime", "threat_to_life"),
     "interieur.gouv.fr", "+33 8 11 02 02 17", 60),
    ("DCI Cybercrime Unit", "KE", "Nairobi", ("cybercrime", "threat_to_life", "human_trafficking"), "dci.go.ke",
     "+254 20 334 3312", 5),
]


def demo_extend(*, ctx: DemoContext) -> list[str]:
    liaison_name = next((p["username"] for p in ctx.data.staff if Role.LAW_ENFORCEMENT_LIAISON in p["roles"]), None)
    liaison = actor_for_user(ctx.staff[liaison_name]) if liaison_name else None
    if liaison is None:
        return ["Law enforcement: skipped (no liaison in the demo staff)."]
    with clock.frozen_at(ctx.now - dt.timedelta(days=3)):
        person = user_create(actor=SYSTEM, username="hannah.keller", email="hannah.keller@kite.example",
                             full_name="Hannah Keller", password=None)
        membership_add(actor=SYSTEM, user=person, organisation=ctx.platform, role=Role.LEGAL_REVIEWER)
    legal = actor_for_user(person)
    assert legal is not None
    agencies: dict[str, Agency] = {}
    for name, country, region, topics, domain, phone, verified_days_ago in AGENCIES:
        with clock.frozen_at(ctx.now - dt.timedelta(days=verified_days_ago)):
            agency = agency_create(actor=liaison, data=AgencyData(
                name=name, country=country, region=region, topics=topics, email_domains=[domain], public=True,
                public_notes="In an emergency, call the local emergency number first.",
            ))
            contact_add(actor=liaison, agency_id=agency.pk, data=ContactData(
                name="Duty desk", role="24/7 operations", phone=phone, emergency_line=True, public=True,
                public_fields=["role", "phone", "emergency_line"]))
            contact_add(actor=liaison, agency_id=agency.pk, data=ContactData(
                name="Liaison officer", role="Platform liaison", email=f"liaison@{domain}", public=False))
            agencies[name] = agency_set_status(actor=liaison, agency_id=agency.pk, status="complete")
    fbi = agencies["FBI: Internet Crime Complaint Center and Field Operations"]
    with clock.frozen_at(ctx.now - dt.timedelta(hours=5)):
        edr = request_receive(actor=liaison, data=RequestData(
            request_type="emergency_disclosure", agency_name="FBI Washington Field Office", country="US",
            officer_name="SA Jordan Miles", officer_email="jmiles@fbi.gov", officer_phone="+1 555 0100",
            legal_basis="18 U.S.C. §2702(b)(8) and (c)(4): threat to kill posted with a location",
            identifiers=[{"kind": "account", "value": "kite-user-80211"}], data_types=["basic_subscriber", "ip_logs"],
            agency_id=str(fbi.pk), emergency_reason="A user announced a shooting at a named school tomorrow.",
            deadline_hours=2, date_ranges=[{"from": (ctx.now - dt.timedelta(days=7)).date(),
                                            "to": ctx.now.date()}],
        ))
    with clock.frozen_at(ctx.now - dt.timedelta(hours=4, minutes=40)):
        duty = fbi.contacts.get(name="Duty desk")
        request_record_callback(actor=liaison, request_id=edr.pk, contact_id=duty.pk, confirmed=True,
                                notes="Duty desk confirmed SA Miles and the case number.")
        request_verify(actor=liaison, request_id=edr.pk)
    with clock.frozen_at(ctx.now - dt.timedelta(hours=4, minutes=30)):
        request_review(actor=legal, request_id=edr.pk, decision="comply", reasons=["emergency_good_faith"],
                       notes="Credible, specific threat; BSI and recent IPs only.")
    with clock.frozen_at(ctx.now - dt.timedelta(hours=4, minutes=15)):
        disclosure_record(actor=liaison, request_id=edr.pk, data_types=["basic_subscriber", "ip_logs"],
                          fields=["name", "email", "phone", "login_ips"],
                          files=[{"name": "kite-user-80211-bsi.csv", "sha256": "3f" * 32, "size": 2048}],
                          recipient="jmiles@fbi.gov", channel="email")
    pharos = agencies["Pharos (signalement des contenus illicites)"]
    with clock.frozen_at(ctx.now - dt.timedelta(days=2)):
        request_receive(actor=liaison, data=RequestData(
            request_type="foreign_mlat", agency_name="Pharos / OCLCTIC", country="FR", officer_name="Cne Léa Martin",
            officer_email="lea.martin@interieur.gouv.fr", legal_basis="Réquisition judiciaire, art. 60-1 CPP",
            identifiers=[{"kind": "account", "value": "kite-user-55102"}], data_types=["basic_subscriber", "content"],
            agency_id=str(pharos.pk), summary="Hate campaign against a journalist in Lyon.",
        ))
        request_receive(actor=liaison, data=RequestData(
            request_type="preservation", agency_name="Pharos / OCLCTIC", country="FR", officer_name="Cne Léa Martin",
            officer_email="lea.martin@interieur.gouv.fr", legal_basis="Preservation pending an MLAT request",
            identifiers=[{"kind": "account", "value": "kite-user-55102"}], data_types=["preservation_only"],
            agency_id=str(pharos.pk),
        ))
    notes = [f"Law enforcement: {len(agencies)} agencies in 5 countries (public guide at /law-enforcement/contact/), "
             "an answered emergency request, an MLAT request and a preservation request (90-day hold)."]
    notes.append(_fresh_emergency(ctx, liaison, agencies["DCI Cybercrime Unit"]))
    case = (Case.objects.filter(country="SD", imminent_harm=True).order_by("opened_at").first()
            or Case.objects.filter(country="SD").order_by("opened_at").first())
    if case is not None:
        ksp = agencies["Khartoum State Police: Cybercrime Unit"]
        with clock.frozen_at(ctx.now - dt.timedelta(hours=2)):
            referral = referral_create(
                actor=liaison, case_id=case.pk, agency_id=ksp.pk, contact_id=ksp.contacts.get(name="Duty desk").pk,
                facts="A post names a shelter for displaced people and calls for an attack on it tonight.",
                fields=[{"name": "category", "justification": "tells the unit what kind of harm it is"},
                        {"name": "content_url", "justification": "the unit must see the post to assess the threat"}],
            )
        with clock.frozen_at(ctx.now - dt.timedelta(hours=1, minutes=50)):
            referral_approve(actor=legal, referral_id=referral.pk)
        with clock.frozen_at(ctx.now - dt.timedelta(hours=1, minutes=45)):
            referral_send(actor=liaison, referral_id=referral.pk, channel="phone", sent_to="+249 183 000 999")
        notes.append(f"Law enforcement: case {case.pk} referred to {ksp.name} (minimised package, second approval).")
    return notes


def _fresh_emergency(ctx: DemoContext, liaison: Actor, dci: Agency) -> str:
    """Step 3's last request: paged through the lane 20 minutes ago, acknowledged by the first person paged."""
    with clock.frozen_at(ctx.now - dt.timedelta(minutes=20)):
        request = request_receive(actor=liaison, data=RequestData(
            request_type="emergency_disclosure", agency_name="DCI Cybercrime Unit, Nairobi", country="KE",
            officer_name="Insp. Wanjiru Kamau", officer_email="w.kamau@dci.go.ke", reference="DCI/CCU/2291",
            legal_basis="Emergency request: risk to the life of a child",
            identifiers=[{"kind": "account", "value": "kite-user-31877"}], data_types=["basic_subscriber", "location"],
            agency_id=str(dci.pk), emergency_reason="A missing 15-year-old; the account arranged to meet her tonight.",
            deadline_hours=1,
        ))
    emergency = Emergency.objects.filter(le_request=request).first()
    if emergency is None:
        return "Law enforcement: the Kenyan emergency request opened no emergency."
    first = PageStep.objects.filter(emergency=emergency, fired_at__isnull=False).order_by("sequence").first()
    paged = [u for u in (ctx.staff.values()) if first is not None and u.pk in first.paged_user_ids]
    responder = next((a for a in map(actor_for_user, paged) if a is not None and a.has(Perm.EMERGENCY_RESPOND)), None)
    if responder is None:
        return "Law enforcement: the Kenyan emergency request is paging on the emergency board."
    with clock.frozen_at(ctx.now - dt.timedelta(minutes=17)):
        emergency_acknowledge(actor=responder, emergency_id=emergency.pk, via="ui")
    return (f"Law enforcement: an emergency request from Kenya paged {responder.label} through the emergency lane; "
            "acknowledged, it is on the emergency board until the request is answered.")
