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


def test_it_gives_the_dsa_orders_rows_for_member_states_and_a_total(
    liaison_lucas: User, legal_leila: User, sudan_police: Agency
) -> None:
    from trustline.lawenforcement.figures import dsa_orders_rows

    with frozen_at(T0):
        french = [request_receive(actor=actor_of(liaison_lucas), data=dataclasses.replace(
            request_data(None), country="FR", request_type="foreign_mlat")) for _ in range(3)]
        request_receive(actor=actor_of(liaison_lucas), data=request_data(sudan_police))  # not a Member State
    for hours, request in zip((2, 4), french[:2], strict=True):
        with frozen_at(T0 + dt.timedelta(hours=hours)):
            request_review(actor=actor_of(legal_leila), request_id=request.pk, decision="reject", reasons=["invalid"])
    rows = dsa_orders_rows(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31))
    assert rows == [
        ["Orders to provide information", "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER", "FR", 3, 3, None, 3.0],
        ["Orders to provide information", "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER", "TOTAL", 3, 3, None, 3.0],
    ]


def test_the_transparency_report_carries_the_member_state_orders(
    liaison_lucas: User, legal_leila: User, sudan_police: Agency
) -> None:
    from trustline.transparency.report import transparency_report

    with frozen_at(T0):
        request = request_receive(actor=actor_of(liaison_lucas), data=dataclasses.replace(
            request_data(None), country="FR", request_type="foreign_mlat"))
        request_receive(actor=actor_of(liaison_lucas), data=request_data(sudan_police))  # not a Member State
    with frozen_at(T0 + dt.timedelta(hours=5)):
        request_review(actor=actor_of(legal_leila), request_id=request.pk, decision="reject", reasons=["invalid"])

    section = transparency_report(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)).section(
        "3_member_states_orders")

    assert [row[3:] for row in section.rows] == [
        ["Orders to provide information", "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER", "FR", 1, 1, None, 5.0],
        ["Orders to provide information", "STATEMENT_CATEGORY_NOT_SPECIFIED_ORDER", "TOTAL", 1, 1, None, 5.0],
    ]
