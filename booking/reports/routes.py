"""The committee's report pages: the report, its CSV and XLSX exports and the printable monthly pack.

Every request closes overdue bookings first, reads the filters (a GET form), narrows them to what
the viewer may see, and asks the engine once; the page and the exports show the same rounded cells.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from babel.lists import format_list
from flask import Blueprint, Response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..accounts.permissions import Roles, roles_of
from ..errors import Forbidden, InvalidInput
from ..extensions import db
from ..facilities.models import KINDS, Facility
from ..organisation.models import Enterprise, chain_enterprises
from ..timeutil import utcnow
from . import engine, exports, present, services
from .forms import ReportFilterForm, options
from .query import Period, Scope

bp = Blueprint("reports", __name__)
HISTORY_YEARS = 5


@dataclass
class Ask:
    """A valid request: what to compute, for whom."""
    scope: Scope
    period: Period
    period_kind: str
    group_by: str


def _form(roles: Roles, facilities: list[Facility]) -> ReportFilterForm:
    today = services.today()
    form = ReportFilterForm(request.args, month=today.strftime("%Y-%m"),
                            quarter=f"{today.year}-Q{(today.month - 1) // 3 + 1}", year=str(today.year))
    chains = sorted({f.chain for f in facilities}, key=lambda c: c.display_name)
    form.chain.choices = options([("", _("All chains"))] + [(c.id, c.display_name) for c in chains])
    kinds = {f.kind for f in facilities}
    form.kind.choices = options([("", _("All kinds"))] + [(k, label) for k, label in KINDS.items() if k in kinds])
    form.facility.choices = options([("", _("All facilities"))])
    for chain in chains:
        group = chain.display_name if len(chains) > 1 else None
        form.facility.choices += options([(f.id, f.display_name) for f in facilities if f.chain_id == chain.id], group)
    # Five years of history and the bookings already taken for the next months.
    years = list(range(today.year + 1, today.year - HISTORY_YEARS - 1, -1))
    form.year.choices = options((y, y) for y in years)
    upcoming = today.year * 4 + (today.month - 1) // 3 + 1
    form.quarter.choices = options(
        (f"{y}-Q{q}", present.period_label(Period(date(y, 3 * q - 2, 1), date(y, 3 * q, 1)), "quarter"))
        for y in years for q in (4, 3, 2, 1) if y * 4 + q - 1 <= upcoming)
    if services.is_oversight(roles):
        form.enterprise.choices = options([("", _("All enterprises"))] + [
            (e.id, e.display_name) for e in _enterprises(roles, {c.id for c in chains})])
    else:
        del form.enterprise
    return form


def _enterprises(roles: Roles, chain_ids: set[int]) -> list[Enterprise]:
    query = select(Enterprise).order_by(Enterprise.name)
    if not roles.is_admin:
        query = query.where(Enterprise.id.in_(
            select(chain_enterprises.c.enterprise_id).where(chain_enterprises.c.chain_id.in_(chain_ids))))
    return list(db.session.scalars(query))


def _ask(form: ReportFilterForm, roles: Roles) -> Ask | None:
    """The request the form describes, or None with the errors shown next to the fields."""
    if not form.validate():
        return None
    enterprise = form.enterprise.data if "enterprise" in form else None
    try:
        period = services.parse_period(form.period.data, form.period_value(),
                                       form.start.data and form.start.data.isoformat(),
                                       form.end.data and form.end.data.isoformat())
        group_by = services.check_group(form.group.data)
        scope = services.report_scope(
            roles, chain_ids=[form.chain.data] if form.chain.data else None,
            kinds=[form.kind.data] if form.kind.data else None,
            facility_ids=[form.facility.data] if form.facility.data else None,
            enterprise_ids=[enterprise] if enterprise else None)
    except InvalidInput as error:
        field = {"period": form.value_field(), "end": form.end, "group_by": form.group,
                 "kind": form.kind}.get(error.field or "", form.period)
        field.errors = [*field.errors, error.message]
        return None
    return Ask(scope, period, form.period.data or "month", group_by)


def _filters(form: ReportFilterForm, ask: Ask, report: engine.Report,
             own_name: str | None) -> list[tuple[str, str]]:
    """How the request reads, for titles and exports."""
    chains = sorted({f.chain.display_name for f in report.facilities})
    found = [(_("Period"), present.period_label(ask.period, ask.period_kind)),
             (_("Chain"), form.chain.selected_label if form.chain.data
              else format_list(chains, locale=get_locale()) if chains else _("All chains"))]
    for field in (form.kind, form.facility) + ((form.enterprise,) if "enterprise" in form else ()):
        if field.data:
            found.append((str(field.label.text), field.selected_label))
    if own_name is not None:
        found.append((_("Enterprise"), own_name))
    found.append((_("Group by"), form.group.selected_label))
    return found


def _view(roles: Roles, form: ReportFilterForm, ask: Ask) -> present.View:
    report = engine.report(ask.scope, ask.period, ask.group_by)
    own = None if services.is_oversight(roles) else roles.enterprise_id
    if own is None:
        fair_now = report.fairness
        fair_before = report.previous_fairness
        ids = set(fair_now.hours) | (set(report.rows) if ask.group_by == "enterprise" else set())
    else:
        # HHI and Gini describe the chain; the member sees their own row only.
        everyone = replace(ask.scope, enterprise_ids=None)
        fair_now = engine.fairness(everyone, ask.period)
        fair_before = engine.fairness(everyone, ask.period.previous())
        ids = {own}
    enterprises = engine.enterprise_names(ids)
    own_name = None if own is None else enterprises[own].display_name if own in enterprises else ""
    return present.build(report, ask.period_kind, enterprises=enterprises, fair_now=fair_now,
                         fair_before=fair_before, own=own, filters=_filters(form, ask, report, own_name),
                         today=services.today())


def _prepare() -> tuple[ReportFilterForm, present.View | None]:
    roles = roles_of(current_user)
    if not services.can_read_reports(roles):
        raise Forbidden(_("Reports are for committee members, facility managers, enterprises and administrators."))
    services.close_overdue_on_read()
    form = _form(roles, services.visible_facilities(roles))
    ask = _ask(form, roles)
    return form, (_view(roles, form, ask) if ask else None)


def _page(template: str):
    form, view = _prepare()
    if view is None:
        return render_template("reports/index.html", form=form, view=None), 400
    return render_template(template, form=form, view=view, args=request.args.to_dict(), generated=utcnow(),
                           legend=present.LEGEND)


@bp.get("/reports")
@login_required
def index():
    return _page("reports/index.html")


@bp.get("/reports/print")
@login_required
def printable():
    return _page("reports/print.html")


def _download(data: bytes, mimetype: str, name: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"',
                                                      "Cache-Control": "private, no-store"})


@bp.get("/reports.csv")
@login_required
def export_csv():
    form, view = _prepare()
    if view is None:
        return render_template("reports/index.html", form=form, view=None), 400
    return _download(exports.csv_bytes(view), "text/csv; charset=utf-8", exports.filename(view, "csv"))


@bp.get("/reports.xlsx")
@login_required
def export_xlsx():
    form, view = _prepare()
    if view is None:
        return render_template("reports/index.html", form=form, view=None), 400
    return _download(exports.xlsx_bytes(view), exports.XLSX_MIMETYPE, exports.filename(view, "xlsx"))
