"""Run inside ``trustline shell``: the responder team, a rota, a chain and PagerDuty-shaped contacts.

Every responder is paged only through the PagerDuty-shaped channel, whose URL
(``ONCALL_PAGERDUTY_URL``) points at the benchmark's local receiver.
"""

import datetime as dt

from trustline.accounts.choices import OrganisationKind, Role
from trustline.accounts.permissions import SYSTEM
from trustline.accounts.services import membership_add, organisation_create, user_create
from trustline.audit.services import audit_seal_all
from trustline.oncall.rota import ChainData, ScheduleData, StepData, chain_save, contact_create, schedule_save

kite = organisation_create(actor=SYSTEM, name="Bench Platform", kind=OrganisationKind.PLATFORM)
people = [("rita", Role.REVIEWER), ("ravi", Role.REVIEWER), ("sara", Role.REVIEWER), ("lena", Role.ESCALATION_LEAD)]
for username, role in people:
    user = user_create(actor=SYSTEM, username=username, email=f"{username}@bench.invalid", full_name=username,
                       password="bench-password-not-used-1")
    membership_add(actor=SYSTEM, user=user, organisation=kite, role=role)
    contact_create(actor=SYSTEM, username=username, kind="pagerduty", address=f"bench-routing-{username}")
rota = schedule_save(actor=SYSTEM, data=ScheduleData(
    name="Bench rota", time_zone="Europe/Berlin", rotation="weekly", handoff_time=dt.time(9, 0),
    start_date=dt.date(2026, 1, 5), participants=["rita", "ravi", "sara"]))
chain_save(actor=SYSTEM, data=ChainData(
    name="Bench chain", is_default=True, repeat_count=0, repeat_delay_minutes=5,
    steps=[StepData(target="schedule_primary", schedule_id=rota.pk, delay_minutes=0),
           StepData(target="schedule_secondary", schedule_id=rota.pk, delay_minutes=1),
           StepData(target="escalation_leads", delay_minutes=1)]))
audit_seal_all()
print("team ready")
