"""The backlog at a past instant (``metrics.sql.waiting_at``): every boundary pinned.

The figures tests check it through the selectors on the conftest programme;
here every boundary is pinned, including the ones that programme lacks: an
item decided at the very instant, an undecided item closed, and an item that
joined a case decided before it arrived.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from trustline.metrics.models import ItemFact
from trustline.metrics.sql import waiting_at

pytestmark = pytest.mark.django_db

AT = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


def fact(name: str, received: dt.datetime, decided: dt.datetime | None = None,
         closed: dt.datetime | None = None) -> ItemFact:
    return ItemFact.objects.create(
        item_id=uuid.uuid5(uuid.NAMESPACE_URL, name), case_id=uuid.uuid4(), report_id=uuid.uuid4(),
        organisation_id=1, received_at=received, decided_at=decided, closed_at=closed, refreshed_at=AT + 9 * H,
        category_code=name,
    )


def test_the_items_waiting_at_an_instant() -> None:
    fact("decided after", AT - 5 * H, decided=AT + H)
    fact("decided at that instant", AT - 5 * H, decided=AT)
    fact("open", AT - 500 * H)
    fact("closed after, undecided", AT - 2 * H, closed=AT + 3 * H)
    fact("received a second before", AT - dt.timedelta(seconds=1), decided=AT + H)
    fact("decided before", AT - 5 * H, decided=AT - H)
    fact("closed before, undecided", AT - 5 * H, closed=AT - H)
    fact("received at that instant", AT)
    fact("received after", AT + H)
    fact("joined a case decided before it arrived", AT - H, decided=AT - 2 * H)
    fact("decided the instant it arrived", AT - H, decided=AT - H)

    waiting = set(waiting_at(ItemFact.objects.all(), AT).values_list("category_code", flat=True))

    assert waiting == {"decided after", "decided at that instant", "open", "closed after, undecided",
                       "received a second before"}

