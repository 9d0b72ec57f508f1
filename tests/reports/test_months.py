"""Stored months: the same numbers as the bookings give, and never stale after a change."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select, update

from booking.billing.models import Charge
from booking.bookings.models import Booking
from booking.extensions import db
from booking.reports import engine, rollup
from booking.reports.models import ReportMonth, ReportMonthLead, ReportMonthPair
from booking.reports.query import Period, Scope
from booking.usage.models import UsageRecord
from tests.factories import local

NOW = datetime(2026, 11, 22, tzinfo=ZoneInfo("UTC"))
QUARTER = Period(date(2026, 8, 1), date(2026, 11, 1))
FIELDS = ("available_s", "booked_s", "slot_s", "actual_s", "in_slot_s", "reached", "no_shows", "sessions", "output",
          "expected_output", "cost_shared", "cost_reference", "fees")


@pytest.fixture
def chain(make):
    """Two facilities with August to October of everything the report counts."""
    chain = make.chain()
    line = make.facility(chain, kind="production_line", hours="08:00-18:00", weekdays=range(5))
    room = make.facility(chain, hours="00:00-24:00")
    a, b = make.enterprise(chain), make.enterprise(chain)
    make.closure(line, local(date(2026, 9, 9), "08:00"), local(date(2026, 9, 9), "12:00"))
    for n, day in enumerate((date(2026, 8, 3), date(2026, 9, 9), date(2026, 9, 30), date(2026, 10, 14))):
        enterprise = (a, b)[n % 2]
        done = make.booking(line, local(day, "10:00"), local(day, "14:00"), status="completed", enterprise=enterprise,
                            requester=make.user(enterprise))
        db.session.add(UsageRecord(booking=done, actual_start=local(day, "10:10"), actual_end=local(day, "13:40"),
                                   output_quantity=Decimal(300), output_unit="pairs"))
        db.session.add(Charge(booking=done, kind="use", amount=Decimal("400.00"), reference_amount=Decimal("900.00")))
        make.booking(line, local(day, "16:00"), local(day, "20:00"), status="approved", rules_overridden=True,
                     enterprise=enterprise, requester=make.user(enterprise))
        make.booking(room, local(day, "22:00"), local(day + timedelta(days=1), "02:00"), status="no_show",
                     enterprise=enterprise, requester=make.user(enterprise))
    # Across the end of September: split between the months.
    make.booking(room, local(date(2026, 9, 30), "20:00"), local(date(2026, 10, 1), "03:00"), status="completed",
                 enterprise=a, requester=make.user(a))
    db.session.flush()
    return chain


def numbers(scope: Scope, group_by: str):
    rows, total = engine.utilization(scope, QUARTER, group_by, now=NOW)
    return ({key: tuple(getattr(figures, name) for name in FIELDS) for key, figures in rows.items()},
            tuple(getattr(total, name) for name in FIELDS))


@pytest.mark.parametrize("group_by", ["facility", "enterprise", "month"])
def test_stored_months_give_the_numbers_the_bookings_give(chain, group_by):
    scope = Scope(chain_ids=frozenset({chain.id}))
    computed = numbers(scope, group_by)
    assert engine.store_months(now=NOW) > 0
    assert db.session.scalar(select(func.count()).select_from(ReportMonth)) > 0
    stored = numbers(scope, group_by)
    assert stored[1] == pytest.approx(computed[1])
    for key, values in computed[0].items():
        assert stored[0][key] == pytest.approx(values)


def test_a_change_forgets_the_months_it_touches(make, chain):
    scope = Scope(chain_ids=frozenset({chain.id}))
    engine.store_months(now=NOW)
    line = next(f for f in engine.facilities_in(scope) if f.kind == "production_line")
    stored_months = set(db.session.scalars(select(ReportMonth.month).where(ReportMonth.facility_id == line.id)))
    assert date(2026, 9, 1) in stored_months
    before = engine.utilization(scope, QUARTER, now=NOW)[1].booked_s
    make.booking(line, local(date(2026, 9, 21), "08:00"), local(date(2026, 9, 21), "10:00"), status="completed")
    db.session.flush()
    left = set(db.session.scalars(select(ReportMonth.month).where(ReportMonth.facility_id == line.id)))
    assert date(2026, 9, 1) not in left and date(2026, 8, 1) in left
    assert engine.utilization(scope, QUARTER, now=NOW)[1].booked_s == before + 2 * 3600


def test_only_months_that_have_ended_everywhere_are_read_from_storage():
    months, rest = rollup.split(Period(date(2026, 9, 15), date(2026, 12, 1)), NOW)
    assert months == [Period(date(2026, 10, 1), date(2026, 11, 1))]
    assert rest == [Period(date(2026, 9, 15), date(2026, 10, 1)), Period(date(2026, 11, 1), date(2026, 12, 1))]
    early = datetime(2026, 11, 1, 12, tzinfo=ZoneInfo("UTC"))
    assert rollup.split(Period(date(2026, 10, 1), date(2026, 11, 1)), early) == ([],
                                                                                   [Period(date(2026, 10, 1),
                                                                                           date(2026, 11, 1))])


def test_the_report_months_command_stores_ended_months(runner, chain):
    result = runner.invoke(args=["report-months"])
    assert result.exit_code == 0, result.output
    assert "facility-months stored" in result.output
    assert db.session.scalar(select(func.count()).select_from(ReportMonth)) > 0


# --- lead times and heatmap -----------------------------------------------------------------------------

@pytest.fixture
def decided(make, chain):
    """Decisions with repeated lead times in August to October at both facilities (and one across the
    end of September, whose start decides its month)."""
    line, room = engine.facilities_in(Scope(chain_ids=frozenset({chain.id})))
    manager = make.manager(line, room)
    leads = {date(2026, 8, 3): (2, 2, 5, 1, 9), date(2026, 9, 1): (3, 3, 1, 7, 2, 2), date(2026, 10, 5): (4, 1, 1)}
    for first, hours in leads.items():
        for n, lead in enumerate(hours):
            facility = (line, room)[n % 2]
            start = local(first + timedelta(days=n), "08:00")
            created = start - timedelta(days=3)
            make.booking(facility, start, start + timedelta(hours=2 + n), status=("approved", "rejected")[n % 3 == 2],
                         created_at=created, decided_at=created + timedelta(hours=lead, minutes=n),
                         decided_by_id=manager.id)
    start = local(date(2026, 9, 30), "23:00")
    make.booking(room, start, start + timedelta(hours=3), status="approved", created_at=start - timedelta(days=2),
                 decided_at=start - timedelta(days=1), decided_by_id=manager.id)
    db.session.flush()
    return chain


def timing_numbers(scope: Scope):
    before = QUARTER.previous()
    report = engine.report(scope, QUARTER, "facility", now=NOW)
    return {group: engine.lead_times(scope, QUARTER, group, now=NOW)
            for group in (None, "facility", "kind", "chain", "month", "enterprise")} | {
        "totals": engine.lead_totals(scope, [QUARTER, before], now=NOW),
        "heatmap": engine.heatmap(scope, QUARTER, now=NOW).booked_s,
        "report": (report.lead, report.lead_total, report.previous_lead, report.heatmap.booked_s)}


def test_stored_lead_times_and_heatmap_are_the_ones_the_bookings_give(decided):
    scope = Scope(chain_ids=frozenset({decided.id}))
    computed = timing_numbers(scope)
    assert computed[None][None][2] == 15 and sum(map(sum, computed["heatmap"])) > 0
    # Per facility the lead times are ranked per hour bucket first: the same nearest ranks.
    for facility_id, values in computed["facility"].items():
        assert engine.lead_times(Scope(facility_ids=frozenset({facility_id})), QUARTER, now=NOW)[None] == values
    assert engine.store_months(now=NOW) > 0
    assert db.session.scalar(select(func.sum(ReportMonthLead.n))) == 15
    assert timing_numbers(scope) == computed
    # Read from storage: the stored counts are what the report uses (changed behind the engine's back here).
    db.session.execute(update(ReportMonthLead).values(lead_s=ReportMonthLead.lead_s + 3600))
    db.session.execute(update(ReportMonth).values(heat=",".join(["60"] * 7 * 24)))
    changed = timing_numbers(scope)
    assert changed[None] != computed[None] and changed["heatmap"] != computed["heatmap"]


def test_a_changed_decision_forgets_its_months_lead_times(make, decided):
    scope = Scope(chain_ids=frozenset({decided.id}))
    engine.store_months(now=NOW)
    booking = db.session.scalars(select(Booking).where(Booking.decided_by_id.is_not(None))
                                 .order_by(Booking.start_at)).first()
    months = set(db.session.scalars(select(ReportMonthLead.month).where(
        ReportMonthLead.facility_id == booking.facility_id)))
    assert date(2026, 8, 1) in months
    booking.decided_at += timedelta(hours=30)
    db.session.flush()
    left = set(db.session.scalars(select(ReportMonthLead.month).where(
        ReportMonthLead.facility_id == booking.facility_id)))
    assert date(2026, 8, 1) not in left and date(2026, 10, 1) in left
    assert db.session.scalar(select(func.count()).select_from(ReportMonth).where(
        ReportMonth.facility_id == booking.facility_id, ReportMonth.month == date(2026, 8, 1))) == 0
    stored = timing_numbers(scope)
    db.session.execute(delete(ReportMonthLead))
    db.session.execute(delete(ReportMonthPair))
    db.session.execute(delete(ReportMonth))
    assert stored == timing_numbers(scope)


def test_a_booking_in_a_month_that_has_not_ended_forgets_nothing(make, chain, count_queries):
    """Only ended months are stored, so booking next week costs no deletes; the stored months stay."""
    engine.store_months(now=NOW)
    stored = db.session.scalar(select(func.count()).select_from(ReportMonth))
    line = db.session.scalars(select(Booking).where(Booking.status == "completed")).first().facility
    ahead = datetime.now(ZoneInfo("UTC")) + timedelta(days=40)
    with count_queries() as seen:
        make.booking(line, ahead, ahead + timedelta(hours=2), status="approved")
    assert not [s for s in seen if s.lstrip().upper().startswith("DELETE")]
    assert db.session.scalar(select(func.count()).select_from(ReportMonth)) == stored
