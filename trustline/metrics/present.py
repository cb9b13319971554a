"""Translating requests into periods and slices, and selector results into plain data (API, CSV, pages)."""

from __future__ import annotations

import dataclasses
from typing import Any

from trustline.accounts.choices import OrganisationKind
from trustline.accounts.models import Organisation
from trustline.core.csvsafe import write_rows
from trustline.core.exceptions import ValidationFailed
from trustline.metrics.periods import Period, period_for
from trustline.metrics.schemas import BacklogQuery, MetricsQuery, PeriodOut, PeriodQuery, WorkloadQuery
from trustline.metrics.selectors import COUNT_FIELDS, HOUR_FIELDS, PCT_FIELDS, MetricsFilter, MetricsRow, MetricsTable
from trustline.metrics.workload import WorkloadFigures, WorkloadTable
from trustline.platforms.choices import ActionType
from trustline.review.choices import Outcome


def period_of(query: PeriodQuery) -> Period:
    return period_for(kind=query.period, tz=query.tz, date=query.date, from_date=query.from_, to_date=query.to)


def filters_of(query: MetricsQuery | BacklogQuery) -> MetricsFilter:
    """The slice asked for; an unknown partner slug is a field error (not a silent empty result)."""
    organisation_id = None
    if query.partner:
        organisation_id = (Organisation.objects.filter(slug=query.partner, kind=OrganisationKind.PARTNER)
                           .values_list("pk", flat=True).first())
        if organisation_id is None:
            raise ValidationFailed.field("partner", "no partner with this slug")
    return MetricsFilter(organisation_id=organisation_id, country=query.country or None,
                         language=query.language or None, category=query.category or None, tier=query.tier,
                         crisis=query.crisis, imminent_harm=query.imminent_harm)


def partner_slugs(keys: list[Any]) -> dict[Any, str]:
    return dict(Organisation.objects.filter(pk__in=[k for k in keys if k is not None]).values_list("pk", "slug"))


def key_text(key: Any, dimension: str | None, slugs: dict[Any, str]) -> str | None:
    if key is None and dimension is None:
        return None
    if dimension == "partner":
        return slugs.get(key, str(key))
    if isinstance(key, bool):
        return "true" if key else "false"
    return None if key is None else str(key)


def row_out(row: MetricsRow, dimension: str | None, slugs: dict[Any, str], *, total: bool = False) -> dict[str, Any]:
    return {"key": None if total else key_text(row.key, dimension, slugs),
            "label": row.label, "current": dataclasses.asdict(row.current),
            "previous": dataclasses.asdict(row.previous), "change": row.change}


def table_out(table: MetricsTable) -> dict[str, Any]:
    slugs = partner_slugs([r.key for r in table.rows]) if table.group_by == "partner" else {}
    rows = [row_out(table.rows[0], None, slugs, total=True)]
    rows += [row_out(r, table.group_by, slugs) for r in table.rows[1:]]
    return {"period": PeriodOut.of(table.period), "previous_period": PeriodOut.of(table.previous_period),
            "group_by": table.group_by, "facts_as_of": table.facts_as_of, "computed_at": table.computed_at,
            "rows": rows}


def csv_columns() -> list[str]:
    numeric = [*COUNT_FIELDS, *PCT_FIELDS, *HOUR_FIELDS]
    return (["period", "slice", "key", "label"] + numeric + [f"previous_{n}" for n in numeric]
            + [f"change_{n}" for n in numeric] + [f"outcome_{o.value}" for o in Outcome]
            + [f"action_{a.value}" for a in ActionType])


def table_csv(table: MetricsTable) -> str:
    """One line per row of the table: the figures, the previous period's, the change, outcomes and actions."""
    data = table_out(table)
    numeric = [*COUNT_FIELDS, *PCT_FIELDS, *HOUR_FIELDS]
    lines = []
    for row in data["rows"]:
        cur, prev = row["current"], row["previous"]
        lines.append(
            [data["period"]["label"], table.group_by or "", row["key"] or "", row["label"]]
            + [cur[n] for n in numeric] + [prev[n] for n in numeric] + [row["change"][n] for n in numeric]
            + [cur["outcomes"].get(o.value, 0) for o in Outcome] + [cur["actions"].get(a.value, 0) for a in ActionType]
        )
    return write_rows(csv_columns(), lines)


def workload_filters(query: WorkloadQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in ("category", "tier", "language", "country", "imminent_harm")}


def workload_out(table: WorkloadTable) -> dict[str, Any]:
    slugs: dict[Any, str] = {}
    return {"period": PeriodOut.of(table.period), "group_by": table.group_by, "computed_at": table.computed_at,
            "rows": [{"key": None if i == 0 else key_text(row.key, table.group_by, slugs), "label": row.label,
                      "figures": dataclasses.asdict(row.figures)} for i, row in enumerate(table.rows)]}


WORKLOAD_COLUMNS = [field.name for field in dataclasses.fields(WorkloadFigures)]


def workload_csv(table: WorkloadTable) -> str:
    """One line per row: the period, the slice, and every figure (the same as the API's)."""
    data = workload_out(table)
    lines = [[data["period"]["label"], table.group_by or "", row["key"] or "", row["label"]]
             + [row["figures"][name] for name in WORKLOAD_COLUMNS] for row in data["rows"]]
    return write_rows(["period", "slice", "key", "label", *WORKLOAD_COLUMNS], lines)
