"""Stored months: the same numbers as the bookings give, and never stale after a change."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.billing.models import Charge
from booking.extensions import db
from booking.reports import engine, rollup
from booking.reports.models import ReportMonth
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
