"""Finding a free slot: the facility list, a facility's week and a chain's day."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..accounts.permissions import roles_of
from ..errors import NotFound
from ..extensions import db
from ..facilities.models import KINDS, Facility
from ..facilities.rules import hours_as_dict
from ..facilities.services import get_visible, visible_query
from ..organisation.models import Chain
from ..timeutil import utcnow, zone
from . import services
from .forms import FacilityFilterForm

bp = Blueprint("schedule", __name__)


@bp.get("/facilities")
@login_required
def facilities():
    roles = roles_of(current_user)
    form = FacilityFilterForm(request.args)
    visible = db.session.scalars(visible_query(roles).where(Facility.active)
                                 .order_by(Facility.chain_id, Facility.kind, Facility.name)).all()
    chains = sorted({f.chain for f in visible}, key=lambda c: c.name)
    form.kind.choices = [("", _("All kinds"))] + [(k, str(v)) for k, v in KINDS.items()]
    form.chain.choices = [("", _("All chains"))] + [(str(c.id), c.display_name) for c in chains]
    form.park.choices = [("", _("All parks"))] + [(p, p) for p in sorted({f.park for f in visible if f.park})]
    shown = visible
    if form.validate():
        shown = [f for f in visible
                 if (not form.kind.data or f.kind == form.kind.data)
                 and (not form.chain.data or str(f.chain_id) == form.chain.data)
                 and (not form.park.data or f.park == form.park.data)
                 and (not form.capacity.data or (f.capacity or 0) >= form.capacity.data)]
        window = _free_window(form)
        if window and shown:
            free = services.free_facility_ids(shown, *window)
            shown = [f for f in shown if f.id in free]
    return render_template("schedule/facilities.html", form=form, facilities=shown, chains=chains,
                           kinds=KINDS)


def _free_window(form: FacilityFilterForm) -> tuple[datetime, datetime] | None:
    if not form.free_date.data:
        return None
    tz = zone(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    start_time = form.free_from.data or datetime.min.time()
    start = datetime.combine(form.free_date.data, start_time, tzinfo=tz)
    end = (datetime.combine(form.free_date.data, form.free_to.data, tzinfo=tz) if form.free_to.data
           else start + timedelta(hours=1))
    if end <= start:
        form.free_to.errors = [_("The end must be after the start.")]
        return None
    return start, end


def _day_arg(name: str, tz) -> date:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return datetime.now(tz).date()


@bp.get("/facilities/<int:facility_id>")
@login_required
def facility(facility_id: int):
    roles = roles_of(current_user)
    facility = get_visible(roles, facility_id)
    day = _day_arg("week", facility.tz)
    monday = day - timedelta(days=day.weekday())
    view = services.week_view(roles, facility, monday, utcnow())
    return render_template("schedule/facility.html", facility=facility, view=view, monday=monday,
                           prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7),
                           hours=hours_as_dict(facility.hours), can_book=_can_book(roles, facility))


def _can_book(roles, facility) -> bool:
    return facility.active and (facility.chain_id in roles.member_chain_ids or roles.manages(facility.id))


@bp.get("/chains/<int:chain_id>/day")
@login_required
def chain_day(chain_id: int):
    roles = roles_of(current_user)
    chain = db.session.get(Chain, chain_id)
    if chain is None or not services.sees_chain(roles, chain.id):
        raise NotFound(_("There is no such chain."))
    day = _day_arg("date", zone(chain.timezone))
    view = services.day_view(roles, chain, day, utcnow())
    bookable = {f.id for f in view["facilities"] if _can_book(roles, f)}
    return render_template("schedule/day.html", chain=chain, day=day, view=view, bookable=bookable,
                           prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1))

