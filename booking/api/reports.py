"""The committee's numbers as JSON: utilization per group, and fairness across enterprises.

``start`` and ``end`` are local calendar days (``end`` excluded; default: the current month),
counted in each facility's time zone. Hours and ratios are numbers, money is a decimal string.
The figures are those of the report pages: both read ``reports.engine``.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from flask import g
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import Field, WithJsonSchema
from sqlalchemy import select

from ..errors import InvalidInput
from ..extensions import db
from ..facilities.models import KINDS, Facility
from ..organisation.models import Chain
from ..reports import engine, services
from ..reports.query import Period
from . import bp
from .schemas import N_, CommaList, Day, DecimalString, Id, Out, Query
from .spec import operation

TAGS = ("reports",)
API_GROUPS = {"resource": "facility", "enterprise": "enterprise", "kind": "kind", "chain": "chain",
              "month": "month"}
GROUP_KEYS = {"facility": "resource_id", "enterprise": "enterprise_id", "kind": "kind", "chain": "chain_id",
              "month": "month"}

DayString = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
Ratio = Annotated[float | None, Field(description=N_("a ratio rounded to four places; `null` where undefined"))]


class ReportFilter(Query):
    start: Day | None = Field(None, description=N_("the first local day (with `end`; both absent: the current month)"))
    end: Day | None = Field(None, description=N_("the day after the last one"))
    kind: CommaList(Literal[tuple(KINDS)]) = Field(default_factory=list, description=N_("comma-separated kinds"))
    chain_id: Id | None = None
    resource_id: Id | None = None
    enterprise_id: Id | None = None


class UtilizationFilter(ReportFilter):
    group_by: Annotated[str, WithJsonSchema({"type": "string", "enum": list(API_GROUPS)})] = Field(
        "resource", description=N_("how the figures are grouped"))


class Figures(Out):
    available_hours: float
    booked_hours: float
    actual_hours: float
    booked_utilization: Ratio
    actual_utilization: Ratio
    show_up_efficiency: Ratio
    bookings_started: int
    no_shows: int
    no_show_rate: Ratio
    sessions: int
    enterprises_served: int
    cost_shared: DecimalString
    cost_reference: DecimalString
    savings: DecimalString
    savings_rate: Ratio
    fees: DecimalString
    efficiency_uplift: Ratio
    currency: str


class Group(Figures):
    """One group, keyed by the field that group_by names: resource_id, enterprise_id, kind, chain_id or month."""
    name: str
    resource_id: int | None = None
    enterprise_id: int | None = None
    kind: str | None = None
    chain_id: int | None = None
    month: str | None = Field(None, description=N_("YYYY-MM"))


class PreviousFigures(Figures):
    start: DayString
    end: DayString


class UtilizationReport(Out):
    start: DayString
    end: DayString
    group_by: Literal[tuple(API_GROUPS)]
    groups: list[Group]
    total: Figures
    previous: PreviousFigures = Field(description=N_("the period of the same length just before"))


class EnterpriseShare(Out):
    enterprise_id: int
    name: str
    hours: float
    share: Ratio


class FairnessReport(Out):
    start: DayString
    end: DayString
    resource_id: int | None
    total_hours: float
    enterprises: list[EnterpriseShare]
    hhi: float | None = Field(description=N_("Herfindahl–Hirschman index of the shares, 0–10000"))
    gini: Ratio


def _period(query: ReportFilter) -> Period:
    start, end = query.start, query.end
    if start is None and end is None:
        return services.month_period(services.today())
    if start is None or end is None:
        raise InvalidInput(_("Give both “start” and “end”, or neither for the current month."),
                           code="missing_field", field="start" if start is None else "end")
    return services.checked_period(start, end)


def _scope(query: ReportFilter):
    def ids(value: int | None) -> list[int] | None:
        return [value] if value is not None else None

    return services.report_scope(g.api_roles, chain_ids=ids(query.chain_id), kinds=query.kind or None,
                                 facility_ids=ids(query.resource_id), enterprise_ids=ids(query.enterprise_id))


def _ratio(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def figures_json(figures: engine.Figures) -> dict:
    return {
        "available_hours": round(figures.available_hours, 2),
        "booked_hours": round(figures.booked_hours, 2),
        "actual_hours": round(figures.actual_hours, 2),
        "booked_utilization": _ratio(figures.booked_utilization),
        "actual_utilization": _ratio(figures.actual_utilization),
        "show_up_efficiency": _ratio(figures.show_up_efficiency),
        "bookings_started": figures.reached,
        "no_shows": figures.no_shows,
        "no_show_rate": _ratio(figures.no_show_rate),
        "sessions": figures.sessions,
        "enterprises_served": figures.enterprises_served,
        "cost_shared": _money(figures.cost_shared),
        "cost_reference": _money(figures.cost_reference),
        "savings": _money(figures.savings),
        "savings_rate": _ratio(figures.savings_rate),
        "fees": _money(figures.fees),
        "efficiency_uplift": _ratio(figures.uplift),
        "currency": "CNY",
    }


def _labels(group_by: str, keys) -> dict:
    if group_by == "enterprise":
        return {k: e.display_name for k, e in engine.enterprise_names(keys).items()}
    if group_by == "kind":
        return {k: str(KINDS.get(k, k)) for k in keys}
    if group_by in ("facility", "chain"):
        model = Facility if group_by == "facility" else Chain
        return {row.id: row.display_name for row in db.session.scalars(select(model).where(model.id.in_(list(keys))))}
    return {k: k for k in keys}


@bp.get("/reports/utilization")
@operation(_l("Utilization, no-shows and savings per resource, enterprise, kind, chain or month"), tags=TAGS,
           query=UtilizationFilter, response=UtilizationReport)
def utilization_report(query: UtilizationFilter):
    period = _period(query)
    wanted = query.group_by
    if wanted not in API_GROUPS:
        raise InvalidInput(_("Group by one of: %(groups)s.", groups=", ".join(API_GROUPS)), code="invalid_group_by",
                           field="group_by")
    group_by = API_GROUPS[wanted]
    scope = _scope(query)
    services.close_overdue_on_read()
    rows, total = engine.utilization(scope, period, group_by)
    _rows, previous = engine.utilization(scope, period.previous(), "facility" if group_by == "month" else group_by)
    labels = _labels(group_by, rows.keys())
    return {
        "start": period.start.isoformat(), "end": period.end.isoformat(), "group_by": wanted,
        "groups": [{GROUP_KEYS[group_by]: key, "name": labels.get(key, str(key)), **figures_json(figures)}
                   for key, figures in sorted(rows.items(), key=lambda item: str(labels.get(item[0], item[0])))],
        "total": figures_json(total),
        "previous": {"start": period.previous().start.isoformat(), "end": period.previous().end.isoformat(),
                     **figures_json(previous)},
    }


@bp.get("/reports/fairness")
@operation(_l("Hours and shares per enterprise, with the HHI and Gini coefficient"), tags=TAGS,
           query=ReportFilter, response=FairnessReport)
def fairness_report(query: ReportFilter):
    period = _period(query)
    scope = _scope(query)
    services.close_overdue_on_read()
    result = services.fairness_view(g.api_roles, scope, period)
    names = engine.enterprise_names(result.hours.keys())
    enterprises = sorted(result.hours.items(), key=lambda item: (-item[1], item[0]))
    return {
        "start": period.start.isoformat(), "end": period.end.isoformat(),
        "resource_id": query.resource_id,
        "total_hours": round(result.total_hours, 2),
        "enterprises": [{"enterprise_id": en, "name": names[en].display_name if en in names else "",
                         "hours": round(hours, 2), "share": _ratio(result.share(en))}
                        for en, hours in enterprises],
        "hhi": None if result.hhi is None else round(result.hhi, 1),
        "gini": _ratio(result.gini),
    }
