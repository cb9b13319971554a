"""Background jobs of the transparency app: thin wrappers that call the services.

* ``transparency_submit`` every 5 minutes: send due statements of reasons to
  the DSA Transparency Database (``submission.statements_submit``). It does
  nothing unless submission is switched on (``conf.submit_enabled``); rows
  are claimed with a lease and keyed by puid, so overlapping runs are harmless.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from trustline.core.periodic import periodic
from trustline.transparency.submission import statements_submit


@periodic(every=dt.timedelta(minutes=5))
@task()
def transparency_submit() -> dict[str, int]:
    return statements_submit().as_dict()
