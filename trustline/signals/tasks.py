"""Background signal jobs, run as the system actor.

* ``signals_match`` every minute: match cases opened since the last sweep
  against peers' active URL signals (a signal is matched against the open
  cases of its day when it arrives; this catches the cases opened after).
* ``signals_withdraw_reversed`` every minute: withdraw our signals whose
  case is no longer decided as violating (a contest reversed it).
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.accounts.permissions import SYSTEM
from trustline.core.periodic import periodic
from trustline.signals import services


@periodic(every=dt.timedelta(minutes=1))
@task()
def signals_match() -> dict[str, int]:
    return {"matched": services.signals_match_new_cases(actor=SYSTEM)}


@periodic(every=dt.timedelta(minutes=1))
@task()
def signals_withdraw_reversed() -> dict[str, int]:
    return {"withdrawn": services.signals_withdraw_reversed(actor=SYSTEM)}
