"""The committee's numbers as JSON: utilization per group, and fairness across enterprises.

``start`` and ``end`` are local calendar days (``end`` excluded; default: the current month),
counted in each facility's time zone. Hours and ratios are numbers, money is a decimal string.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import g, request
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import InvalidInput
from ..extensions import db
from ..facilities.models import KINDS, Facility
from ..organisation.models import Chain
from ..reports import engine, services
from ..reports.query import Period
from . import bp
from .parsing import arg_choices, arg_int

API_GROUPS = {"resource": "facility", "enterprise": "enterprise", "kind": "kind", "chain": "chain",
              "month": "month"}
GROUP_KEYS = {"facility": "resource_id", "enterprise": "enterprise_id", "kind": "kind", "chain": "chain_id",
              "month": "month"}


def _arg_date(name: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(_("The parameter “%(field)s” must be a date like 2026-11-01.", field=name),
                           code="invalid_date", field=name) from None


def _period() -> Period:
    start, end = _arg_date("start"), _arg_date("end")
    if start is None and end is None:
        return services.month_period(services.today())
    if start is None or end is None:
        raise InvalidInput(_("Give both “start” and “end”, or neither for the current month."),
                           code="missing_field", field="start" if start is None else "end")
    return services.checked_period(start, end)


def _id_filter(name: str) -> list[int] | None:
    value = arg_int(name, minimum=1)
    return [value] if value is not None else None


def _scope():
    kinds = arg_choices("kind", KINDS) or None
    return services.report_scope(g.api_roles, chain_ids=_id_filter("chain_id"), kinds=kinds,
                                 facility_ids=_id_filter("resource_id"), enterprise_ids=_id_filter("enterprise_id"))


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
def utilization_report():
    period = _period()
    wanted = request.args.get("group_by", "resource").strip()
    if wanted not in API_GROUPS:
        raise InvalidInput(_("Group by one of: %(groups)s.", groups=", ".join(API_GROUPS)), code="invalid_group_by",
                           field="group_by")
    group_by = API_GROUPS[wanted]
    scope = _scope()
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
def fairness_report():
    period = _period()
    scope = _scope()
    services.close_overdue_on_read()
    result = services.fairness_view(g.api_roles, scope, period)
    names = engine.enterprise_names(result.hours.keys())
    enterprises = sorted(result.hours.items(), key=lambda item: (-item[1], item[0]))
    return {
        "start": period.start.isoformat(), "end": period.end.isoformat(),
        "resource_id": request.args.get("resource_id", type=int),
        "total_hours": round(result.total_hours, 2),
        "enterprises": [{"enterprise_id": en, "name": names[en].display_name if en in names else "",
                         "hours": round(hours, 2), "share": _ratio(result.share(en))}
                        for en, hours in enterprises],
        "hhi": None if result.hhi is None else round(result.hhi, 1),
        "gini": _ratio(result.gini),
    }
