"""Who may see which report, which period a request means, and fresh numbers on read."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..accounts.permissions import Roles
from ..db import set_read_only_transactions
from ..errors import Forbidden, InvalidInput
from ..extensions import db
from ..facilities.models import KINDS, Facility
from ..timeutil import utcnow, zone
from ..usage.services import close_overdue, has_overdue
from .query import GROUPS, Period, Scope

DEFAULT_ZONE = "Asia/Shanghai"
MAX_DAYS = 5 * 366 + 1
PERIOD_KINDS = ("month", "quarter", "year", "range")


def close_overdue_on_read(now: datetime | None = None) -> None:
    """Reports never wait for the scheduled close-no-shows: overdue bookings are closed first, in a
    short write transaction of their own, and only when there is something to close."""
    now = now or utcnow()
    if not has_overdue(now):
        return
    db.session.rollback()
    set_read_only_transactions(False)
    try:
        closed = close_overdue(now)
        if any(closed):
            db.session.commit()
        else:
            db.session.rollback()
    finally:
        set_read_only_transactions(True)


# --- periods ------------------------------------------------------------------------------------

def today(tzname: str = DEFAULT_ZONE) -> date:
    return utcnow().astimezone(zone(tzname)).date()


def month_period(day: date) -> Period:
    first = day.replace(day=1)
    return Period(first, first + relativedelta(months=1))


def parse_period(kind: str | None, value: str | None, start: str | None = None, end: str | None = None,
                 tzname: str = DEFAULT_ZONE) -> Period:
    """``month`` 2026-11, ``quarter`` 2026-Q4, ``year`` 2026, or ``range`` from ``start`` to ``end``
    (both days included); nothing: the current month."""
    kind = kind or "month"
    value = (value or "").strip()
    try:
        if kind == "month":
            return month_period(date.fromisoformat(value + "-01") if value else today(tzname))
        if kind == "quarter":
            year, _sep, quarter = value.upper().partition("-Q")
            first = date(int(year), 3 * (int(quarter) - 1) + 1, 1)
            return Period(first, first + relativedelta(months=3))
        if kind == "year":
            return Period(date(int(value), 1, 1), date(int(value) + 1, 1, 1))
        if kind == "range":
            return checked_period(date.fromisoformat((start or "").strip()),
                                  date.fromisoformat((end or "").strip()) + timedelta(days=1))
    except ValueError:
        pass
    raise InvalidInput(_("Choose a period: a month (2026-11), a quarter (2026-Q4), a year (2026) or two dates."),
                       code="invalid_period", field="period")


def checked_period(start: date, end: date) -> Period:
    """[start, end) with end after start and at most five years long."""
    if end <= start:
        raise InvalidInput(_("The end of the period must come after its start."), code="invalid_period",
                           field="end")
    if (end - start).days > MAX_DAYS:
        raise InvalidInput(_("A report covers at most five years."), code="period_too_long", field="end")
    return Period(start, end)


def check_group(group_by: str | None) -> str:
    group_by = group_by or "facility"
    if group_by not in GROUPS:
        raise InvalidInput(_("Group by one of: %(groups)s.", groups=", ".join(GROUPS)), code="invalid_group_by",
                           field="group_by")
    return group_by


# --- who sees what --------------------------------------------------------------------------------

def can_read_reports(roles: Roles) -> bool:
    return roles.is_admin or roles.is_committee or roles.is_manager or roles.enterprise_id is not None


def is_oversight(roles: Roles) -> bool:
    """Administrators, committee members and managers see every enterprise's use of their facilities;
    an enterprise member sees their own enterprise only."""
    return roles.is_admin or roles.is_committee or roles.is_manager


def report_scope(roles: Roles, *, chain_ids=None, kinds=None, facility_ids=None, enterprise_ids=None) -> Scope:
    """The filters asked for, narrowed to what the viewer may see."""
    if not can_read_reports(roles):
        raise Forbidden(_("Reports are for committee members, facility managers, enterprises and administrators."))
    if kinds is not None and not set(kinds) <= set(KINDS):
        raise InvalidInput(_("Unknown kind of facility."), code="invalid_kind", field="kind")
    scope = Scope(_ids(chain_ids), frozenset(kinds) if kinds else None, _ids(facility_ids), _ids(enterprise_ids))
    if roles.is_admin:
        return scope
    if is_oversight(roles):
        overseen = set(db.session.scalars(select(Facility.id).where(_overseen(roles))))
        wanted = overseen if scope.facility_ids is None else overseen & scope.facility_ids
        return Scope(scope.chain_ids, scope.kinds, frozenset(wanted), scope.enterprise_ids)
    chains = roles.member_chain_ids if scope.chain_ids is None else roles.member_chain_ids & scope.chain_ids
    return Scope(frozenset(chains), scope.kinds, scope.facility_ids, frozenset({roles.enterprise_id}))


def _overseen(roles: Roles):
    """The facilities of the viewer's committee chains and those they manage."""
    return or_(Facility.chain_id.in_(roles.committee_chain_ids), Facility.id.in_(roles.managed_facility_ids))


def _ids(values) -> frozenset[int] | None:
    return frozenset(int(v) for v in values) if values else None


def visible_facilities(roles: Roles) -> list[Facility]:
    """The facilities the viewer may filter by."""
    query = select(Facility).where(Facility.active.is_(True)).order_by(Facility.chain_id, Facility.name)
    if not roles.is_admin:
        if is_oversight(roles):
            query = query.where(_overseen(roles))
        else:
            query = query.where(Facility.chain_id.in_(roles.member_chain_ids))
    return list(db.session.scalars(query))


def fairness_view(roles: Roles, scope: Scope, period: Period, now: datetime | None = None):
    """Hours and shares per enterprise. An enterprise member sees the whole chain's HHI and Gini but
    only their own enterprise's row."""
    from .engine import fairness
    if is_oversight(roles):
        return fairness(scope, period, now=now)
    whole = fairness(Scope(scope.chain_ids, scope.kinds, scope.facility_ids, None), period, now=now)
    own = {en: hours for en, hours in whole.hours.items() if en in (scope.enterprise_ids or ())}
    return type(whole)(own, whole.hhi, whole.gini, whole.total_hours)
