"""Government-request figures: counts by country, type and outcome; time to respond by type (database aggregates)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from trustline.accounts.models import User
from trustline.conftest import actor_of
from trustline.core.clock import frozen_at
from trustline.lawenforcement.figures import government_requests_rows, response_time_rows
from trustline.lawenforcement.inbound import request_receive, request_review
from trustline.lawenforcement.models import Agency
from trustline.lawenforcement.tests.conftest import T0
from trustline.lawenforcement.tests.test_inbound import request_data


def test_it_counts_requests_by_country_type_and_outcome_and_times_responses(
    liaison_lucas: User, legal_leila: User, sudan_police: Agency
) -> None:
    with frozen_at(T0):
        first = request_receive(actor=actor_of(liaison_lucas), data=request_data(sudan_police))
        request_receive(actor=actor_of(liaison_lucas), data=request_data(sudan_police))
        request_receive(actor=actor_of(liaison_lucas), data=dataclasses.replace(
            request_data(None), country="FR", request_type="foreign_mlat"))
    with frozen_at(T0 + dt.timedelta(hours=6)):
        request_review(actor=actor_of(legal_leila), request_id=first.pk, decision="reject", reasons=["invalid"])
    rows = government_requests_rows(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert rows == [
        {"country": "FR", "request_type": "foreign_mlat", "outcome": "pending", "count": 1},
        {"country": "SD", "request_type": "subpoena", "outcome": "pending", "count": 1},
        {"country": "SD", "request_type": "subpoena", "outcome": "rejected", "count": 1},
    ]
    assert government_requests_rows(dt.date(2026, 4, 1), dt.date(2026, 4, 30)) == []
    times = {r["request_type"]: r for r in response_time_rows(dt.date(2026, 3, 1), dt.date(2026, 3, 31))}
    assert times["subpoena"] == {"request_type": "subpoena", "requests": 2, "responded": 1, "avg_hours": 6.0,
                                 "min_hours": 6.0, "max_hours": 6.0}
    assert times["foreign_mlat"]["avg_hours"] is None
