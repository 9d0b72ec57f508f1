"""Every metric of the committee's report against numbers computed by hand.

The week of Monday 2026-09-07 is the usual window: a facility open Monday to Friday 08:00–18:00
(Asia/Shanghai) has 50 available hours in it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from booking.billing.models import Charge, EnterpriseBaseline
from booking.extensions import db
from booking.reports import engine
from booking.reports.query import Period, Scope
from booking.usage.models import UsageRecord
from tests.factories import local

MONDAY = date(2026, 9, 7)
WEEK = Period(MONDAY, MONDAY + timedelta(days=7))
NOW = datetime(2026, 11, 22, tzinfo=ZoneInfo("UTC"))
LONDON = ZoneInfo("Europe/London")


def day(n: int) -> date:
    return MONDAY + timedelta(days=n)


@pytest.fixture
def chain(make):
    return make.chain()


@pytest.fixture
def line(make, chain):
    return make.facility(chain, kind="production_line", hours="08:00-18:00", weekdays=range(5),
                         output_unit="pairs")


def figures(scope: Scope, period: Period = WEEK, group_by: str = "facility"):
    rows, total = engine.utilization(scope, period, group_by, now=NOW)
    return rows, total


def only(facility, period: Period = WEEK) -> engine.Figures:
    rows, _total = figures(Scope(facility_ids=frozenset({facility.id})), period)
    return rows[facility.id]


def book(make, facility, first: date, start: str, end: str, status: str = "completed", **kw):
    return make.booking(facility, local(first, start, facility.tz), local(first, end, facility.tz), status=status,
                        **kw)


def use(booking, start: datetime, end: datetime | None, output=None) -> UsageRecord:
    record = UsageRecord(booking=booking, actual_start=start, actual_end=end, output_quantity=output,
                         output_unit="pairs")
    db.session.add(record)
    db.session.flush()
    return record


# --- available hours --------------------------------------------------------------------------

def test_available_hours_are_bookable_hours_of_the_period(line):
    assert only(line).available_hours == 50


def test_a_closure_removes_only_the_bookable_time_it_covers(make, line):
    make.closure(line, local(day(2), "10:00"), local(day(2), "14:00"))           # 4 h
    make.closure(line, local(day(1), "17:00"), local(day(2), "09:00"))           # 1 h + 1 h (night is not bookable)
    make.closure(line, local(day(5), "08:00"), local(day(6), "18:00"))           # the weekend: nothing
    assert only(line).available_hours == 44


def test_overlapping_closures_are_not_removed_twice(make, line):
    make.closure(line, local(day(0), "08:00"), local(day(0), "12:00"))
    make.closure(line, local(day(0), "10:00"), local(day(0), "14:00"))
    assert only(line).available_hours == 44


def test_a_facility_with_nothing_booked_still_counts_at_zero(make, chain, line):
    idle = make.facility(chain, hours="09:00-17:00", weekdays=range(5))
    book(make, line, day(0), "08:00", "13:00")
    rows, total = figures(Scope(chain_ids=frozenset({chain.id})))
    assert rows[idle.id].available_hours == 40
    assert rows[idle.id].booked_utilization == 0
    assert total.available_hours == 90
    assert total.booked_utilization == pytest.approx(5 / 90)


# --- booked utilization -------------------------------------------------------------------------

def test_booked_hours_count_approved_checked_in_and_completed_only(make, line):
    book(make, line, day(0), "08:00", "10:00", "approved")
    book(make, line, day(0), "10:00", "11:00", "checked_in")
    book(make, line, day(0), "11:00", "14:00", "completed")
    for status in ("pending", "rejected", "cancelled", "no_show"):
        book(make, line, day(1), "08:00", "12:00", status)
    result = only(line)
    assert result.booked_hours == 6
    assert result.booked_utilization == pytest.approx(6 / 50)


def test_overlapping_bookings_are_merged(make, line):
    # A completed booking no longer holds the slot: a later approval may overlap it.
    book(make, line, day(1), "09:00", "11:00", "completed")
    book(make, line, day(1), "10:00", "13:00", "approved")
    book(make, line, day(1), "10:30", "11:30", "completed")
    assert only(line).booked_hours == 4      # 09:00–13:00
    assert only(line).slot_s / 3600 == 6     # per booking, for show-up efficiency


def test_bookings_are_clipped_to_the_period(make, chain):
    always = make.facility(chain, hours="00:00-24:00")
    make.booking(always, local(day(-1), "22:00"), local(day(0), "02:00"), status="completed")
    make.booking(always, local(day(6), "23:00"), local(day(7), "03:00"), status="approved")
    result = only(always)
    assert result.available_hours == 7 * 24
    assert result.booked_hours == 3


def test_booked_time_outside_bookable_hours_or_in_a_closure_is_not_available_time(make, line):
    book(make, line, day(0), "16:00", "20:00", "approved", rules_overridden=True)   # 2 h inside hours
    make.closure(line, local(day(1), "08:00"), local(day(1), "12:00"))
    book(make, line, day(1), "10:00", "14:00", "approved", rules_overridden=True)   # 2 h after the closure
    book(make, line, day(2), "08:00", "10:00", "approved")                          # 2 h, ordinary
    result = only(line)
    assert result.available_hours == 46
    assert result.booked_hours == 6
    rows, _total = figures(Scope(facility_ids=frozenset({line.id})), group_by="enterprise")
    assert sum(r.booked_hours for r in rows.values()) == 6


def test_a_closure_added_after_the_booking_was_approved_still_clips_it(make, line):
    book(make, line, day(3), "08:00", "12:00", "completed")
    make.closure(line, local(day(3), "10:00"), local(day(3), "18:00"))
    result = only(line)
    assert (result.available_hours, result.booked_hours) == (42, 2)


# --- actual use -----------------------------------------------------------------------------------

def test_actual_utilization_and_show_up_efficiency(make, line):
    first = book(make, line, day(0), "10:00", "12:00")
    use(first, local(day(0), "10:15"), local(day(0), "12:30"))    # 2.25 h actual, 1.75 h inside the slot
    second = book(make, line, day(1), "08:00", "10:00")
    use(second, local(day(1), "07:45"), local(day(1), "09:00"))   # 1.25 h actual, 1 h inside
    result = only(line)
    assert result.actual_hours == pytest.approx(3.5)
    assert result.actual_utilization == pytest.approx(3.5 / 50)
    assert result.show_up_efficiency == pytest.approx(2.75 / 4)


def test_show_up_efficiency_ignores_booked_time_still_to_come(make, line):
    past = book(make, line, day(0), "08:00", "10:00")
    use(past, local(day(0), "08:00"), local(day(0), "10:00"))
    book(make, line, day(3), "08:00", "10:00", "approved")
    now = local(day(1), "12:00")
    rows, _total = engine.utilization(Scope(facility_ids=frozenset({line.id})), WEEK, now=now)
    assert rows[line.id].show_up_efficiency == 1
    assert rows[line.id].booked_hours == 4


def test_a_booking_still_checked_in_counts_until_now(make, line):
    running = book(make, line, day(0), "08:00", "12:00", "checked_in")
    use(running, local(day(0), "08:00"), None)
    now = local(day(0), "09:30")
    rows, _total = engine.utilization(Scope(facility_ids=frozenset({line.id})), WEEK, now=now)
    assert rows[line.id].actual_hours == 1.5


def test_no_show_rate_counts_bookings_that_reached_their_start(make, line):
    book(make, line, day(0), "08:00", "10:00", "completed")
    book(make, line, day(0), "10:00", "12:00", "no_show")
    book(make, line, day(0), "12:00", "14:00", "checked_in")
    book(make, line, day(0), "14:00", "16:00", "approved")          # started, inside its grace period
    for status in ("cancelled", "rejected", "pending"):
        book(make, line, day(1), "08:00", "10:00", status)
    now = local(day(0), "14:05")
    rows, _total = engine.utilization(Scope(facility_ids=frozenset({line.id})), WEEK, now=now)
    assert (rows[line.id].no_shows, rows[line.id].reached) == (1, 4)
    assert rows[line.id].no_show_rate == 0.25
    early = local(day(0), "13:00")
    rows, _total = engine.utilization(Scope(facility_ids=frozenset({line.id})), WEEK, now=early)
    assert rows[line.id].reached == 3


# --- money and output -------------------------------------------------------------------------------

def charge(booking, kind: str, amount: str, reference: str = "0") -> None:
    db.session.add(Charge(booking_id=booking.id, kind=kind, amount=Decimal(amount),
                          reference_amount=Decimal(reference)))
    db.session.flush()


def test_savings_are_reference_minus_shared_cost_and_fees_stay_apart(make, line):
    charge(book(make, line, day(0), "08:00", "10:00"), "use", "200.00", "500.00")
    charge(book(make, line, day(1), "08:00", "11:00"), "use", "300.50", "700.00")
    charge(book(make, line, day(2), "08:00", "10:00", "no_show"), "no_show", "80.00")
    charge(book(make, line, day(3), "08:00", "10:00", "cancelled"), "late_cancel", "20.00")
    charge(book(make, line, day(8), "08:00", "10:00"), "use", "999.00", "999.00")  # next week
    result = only(line)
    assert (result.cost_shared, result.cost_reference) == (Decimal("500.50"), Decimal("1200.00"))
    assert result.savings == Decimal("699.50")
    assert result.savings_rate == pytest.approx(699.5 / 1200)
    assert result.fees == Decimal("100.00")


def test_efficiency_uplift_against_the_enterprises_baseline(make, line):
    first = book(make, line, day(0), "08:00", "10:00")
    db.session.add(EnterpriseBaseline(enterprise_id=first.enterprise_id, kind="production_line",
                                      output_per_hour=Decimal("100"), output_unit="pairs"))
    use(first, local(day(0), "08:00"), local(day(0), "10:00"), output=Decimal("300"))
    second = book(make, line, day(1), "08:00", "12:00", enterprise=first.enterprise)
    use(second, local(day(1), "08:00"), local(day(1), "12:00"), output=Decimal("600"))
    no_baseline = book(make, line, day(2), "08:00", "10:00")
    use(no_baseline, local(day(2), "08:00"), local(day(2), "10:00"), output=Decimal("5000"))
    result = only(line)
    assert (result.output, result.expected_output) == (900, 600)
    assert result.uplift == pytest.approx(0.5)


def test_sessions_served_and_sessions_per_studio_per_week(make, chain):
    studios = [make.facility(chain, kind="livestream_studio", hours="08:00-22:00") for _ in range(2)]
    fortnight = Period(MONDAY, MONDAY + timedelta(days=14))
    enterprises = [make.enterprise(chain) for _ in range(2)]
    for n in range(6):
        make.booking(studios[n % 2], local(day(n), "19:00"), local(day(n), "21:00"), status="completed",
                     enterprise=enterprises[n % 2], requester=make.user(enterprises[n % 2]))
    make.booking(studios[0], local(day(7), "19:00"), local(day(7), "21:00"), status="no_show")
    _rows, total = engine.utilization(Scope(kinds=frozenset({"livestream_studio"}), chain_ids=frozenset({chain.id})),
                                      fortnight, "kind", now=NOW)
    assert (total.sessions, total.enterprises_served) == (6, 2)
    assert total.sessions_per_facility_week == 1.5


# --- fairness ----------------------------------------------------------------------------------------

def test_hours_share_hhi_and_gini_per_enterprise(make, chain, line):
    a, b, idle = (make.enterprise(chain) for _ in range(3))
    book(make, line, day(0), "08:00", "14:00", enterprise=a, requester=make.user(a))
    book(make, line, day(1), "08:00", "10:00", enterprise=b, requester=make.user(b))
    result = engine.fairness(Scope(chain_ids=frozenset({chain.id})), WEEK, now=NOW)
    assert {a.id: 6.0, b.id: 2.0, idle.id: 0.0}.items() <= result.hours.items()
    assert (result.share(a.id), result.share(b.id), result.share(idle.id)) == (0.75, 0.25, 0)
    assert result.hhi == pytest.approx(75 ** 2 + 25 ** 2)
    values = [6, 2] + [0] * (len(result.hours) - 2)
    assert result.gini == pytest.approx(engine.gini(values))
    assert engine.gini([0, 2, 6]) == pytest.approx(0.5)
    assert engine.gini([3, 3, 3]) == 0
    assert engine.hhi([5]) == 10_000


# --- approval lead time --------------------------------------------------------------------------------

def test_lead_time_median_and_p90_by_nearest_rank(make, line):
    manager = make.manager(line)
    for n, hours in enumerate((1, 2, 3, 10)):
        start = local(day(n), "08:00")
        created = start - timedelta(days=3)
        make.booking(line, start, start + timedelta(hours=1), status="approved", created_at=created,
                     decided_at=created + timedelta(hours=hours), decided_by_id=manager.id)
    book(make, line, day(4), "08:00", "09:00", "pending")
    # Approved at once by a facility that needs no approval: no one decided, no lead time.
    instant = local(day(4), "10:00")
    make.booking(line, instant, instant + timedelta(hours=1), status="approved", created_at=instant - timedelta(days=1),
                 decided_at=instant - timedelta(days=1))
    median, p90, decided = engine.lead_times(Scope(facility_ids=frozenset({line.id})), WEEK)[None]
    assert (median, p90, decided) == (2, 10, 4)
    assert engine.nearest_rank([1, 2, 3, 10], 50) == 2
    assert engine.nearest_rank([1, 2, 3, 10], 90) == 10


# --- grouping -----------------------------------------------------------------------------------------

def test_group_by_enterprise_shares_the_facilities_available_hours(make, chain, line):
    a, b = make.enterprise(chain), make.enterprise(chain)
    book(make, line, day(0), "08:00", "13:00", enterprise=a, requester=make.user(a))
    book(make, line, day(1), "08:00", "13:00", enterprise=b, requester=make.user(b))
    rows, total = figures(Scope(facility_ids=frozenset({line.id})), group_by="enterprise")
    assert rows[a.id].available_hours == rows[b.id].available_hours == 50
    assert rows[a.id].booked_utilization == rows[b.id].booked_utilization == 0.1
    assert total.booked_utilization == 0.2


def test_group_by_month_splits_a_booking_across_the_month_boundary(make, chain):
    always = make.facility(chain, hours="00:00-24:00")
    make.booking(always, local(date(2026, 9, 30), "22:00"), local(date(2026, 10, 1), "01:00"), status="completed")
    rows, total = figures(Scope(facility_ids=frozenset({always.id})), Period(date(2026, 9, 1), date(2026, 11, 1)),
                          "month")
    assert (rows["2026-09"].booked_hours, rows["2026-10"].booked_hours) == (2, 1)
    assert (rows["2026-09"].available_hours, rows["2026-10"].available_hours) == (30 * 24, 31 * 24)
    assert total.booked_hours == 3
    assert total.facilities == 1 and total.weeks == 61 / 7


def test_group_by_kind_and_chain(make, chain, line):
    room = make.facility(chain, kind="meeting_room", hours="08:00-18:00", weekdays=range(5))
    book(make, room, day(0), "08:00", "18:00")
    rows, _total = figures(Scope(chain_ids=frozenset({chain.id})), group_by="kind")
    assert rows["meeting_room"].booked_utilization == pytest.approx(0.2)
    assert rows["production_line"].booked_utilization == 0
    rows, _total = figures(Scope(chain_ids=frozenset({chain.id})), group_by="chain")
    assert rows[chain.id].booked_utilization == pytest.approx(0.1)


def test_the_previous_period_is_the_one_just_before():
    assert Period(date(2026, 11, 1), date(2026, 12, 1)).previous() == Period(date(2026, 10, 1), date(2026, 11, 1))
    assert Period(date(2026, 1, 1), date(2026, 4, 1)).previous() == Period(date(2025, 10, 1), date(2026, 1, 1))
    assert WEEK.previous() == Period(day(-7), MONDAY)


# --- time zones ---------------------------------------------------------------------------------------

def test_each_facility_counts_the_period_in_its_own_time_zone(make, chain, line):
    london = make.facility(chain, hours="08:00-18:00", weekdays=range(5), timezone="Europe/London")
    # Monday 08:00 in London is 15:00 in Shanghai; Sunday 23:00 in London is outside the London week.
    make.booking(london, local(day(0), "08:00", LONDON), local(day(0), "10:00", LONDON), status="completed")
    make.booking(london, local(day(-1), "23:00", LONDON), local(day(0), "00:30", LONDON), status="approved",
                 rules_overridden=True)
    book(make, line, day(0), "08:00", "09:00")   # 00:00 UTC on Monday, inside the Shanghai week
    rows, total = figures(Scope(chain_ids=frozenset({chain.id})))
    assert rows[london.id].available_hours == rows[line.id].available_hours == 50
    assert (rows[london.id].booked_hours, rows[line.id].booked_hours) == (2, 1)
    grid = engine.heatmap(Scope(chain_ids=frozenset({chain.id})), WEEK)
    assert (grid.booked_s[0][8], grid.booked_s[0][9]) == (2 * 3600, 3600)   # London 08–10, Shanghai 08–09


def test_available_hours_follow_daylight_saving_changes(make, chain):
    always = make.facility(chain, hours="00:00-24:00", timezone="Europe/London")
    fortnight = Period(date(2026, 10, 19), date(2026, 11, 2))   # clocks go back on 25 October
    assert only(always, fortnight).available_hours == 14 * 24 + 1


# --- heatmap -------------------------------------------------------------------------------------------

def test_heatmap_spreads_booked_time_over_weekday_and_hour(make, line):
    book(make, line, day(0), "10:00", "12:30")
    book(make, line, day(4), "17:00", "18:00", "approved")
    book(make, line, day(2), "08:00", "12:00", "cancelled")
    grid = engine.heatmap(Scope(facility_ids=frozenset({line.id})), WEEK)
    assert [grid.booked_s[0][h] / 3600 for h in (9, 10, 11, 12, 13)] == [0, 1, 1, 0.5, 0]
    assert grid.booked_s[4][17] == 3600
    assert sum(map(sum, grid.booked_s)) == 3.5 * 3600
    assert grid.available_s[0][10] == 3600 and grid.available_s[5][10] == 0
    assert grid.share(0, 12) == 0.5


def test_heatmap_counts_a_booking_across_midnight_on_both_days(make, chain):
    always = make.facility(chain, hours="00:00-24:00")
    make.booking(always, local(day(6), "23:00"), local(day(7), "01:00"), status="approved")    # Sunday night
    make.booking(always, local(day(2), "23:30"), local(day(3), "00:30"), status="approved")
    grid = engine.heatmap(Scope(facility_ids=frozenset({always.id})), Period(MONDAY, MONDAY + timedelta(days=14)))
    assert grid.booked_s[6][23] == 3600 and grid.booked_s[0][0] == 3600
    assert grid.booked_s[2][23] == grid.booked_s[3][0] == 1800


def test_lead_totals_of_several_periods_in_one_query_match_each_period_alone(make, line):
    manager = make.manager(line)
    for n, hours in enumerate((1, 2, 3, 10, 4, 8)):
        start = local(day(2 * n), "08:00")
        created = start - timedelta(days=3)
        make.booking(line, start, start + timedelta(hours=1), status="approved", created_at=created,
                     decided_at=created + timedelta(hours=hours), decided_by_id=manager.id)
    scope = Scope(facility_ids=frozenset({line.id}))
    weeks = [WEEK, Period(WEEK.end, WEEK.end + timedelta(days=7)), WEEK.previous()]
    assert engine.lead_totals(scope, weeks) == [engine.lead_times(scope, w).get(None) for w in weeks]
    assert engine.lead_totals(scope, weeks)[2] is None


def test_a_report_by_month_has_the_fairness_and_total_of_the_whole_period(make, chain, line):
    a, b = make.enterprise(chain), make.enterprise(chain)
    book(make, line, date(2026, 9, 29), "08:00", "14:00", enterprise=a, requester=make.user(a))
    book(make, line, date(2026, 10, 6), "08:00", "10:00", enterprise=b, requester=make.user(b))
    scope, both = Scope(chain_ids=frozenset({chain.id})), Period(date(2026, 9, 1), date(2026, 11, 1))
    by_month, by_facility = engine.report(scope, both, "month", now=NOW), engine.report(scope, both, "facility", now=NOW)
    assert by_month.fairness == by_facility.fairness
    assert by_month.total.booked_hours == by_facility.total.booked_hours == 8
    assert by_month.total.available_hours == by_facility.total.available_hours


def test_lead_times_with_repeated_values_are_the_nearest_ranks_and_by_month_match_each_month(make, line):
    """The SQL counts each distinct lead time once; ties must still give the nearest-rank values."""
    manager = make.manager(line)
    leads = {date(2026, 9, 1): (2, 2, 2, 5, 1, 5, 9, 2, 2, 7, 1), date(2026, 10, 1): (3, 3, 1)}
    for first, hours in leads.items():
        for n, lead in enumerate(hours):
            start = local(first + timedelta(days=n), "08:00")
            created = start - timedelta(days=3)
            make.booking(line, start, start + timedelta(hours=1), status="approved", created_at=created,
                         decided_at=created + timedelta(hours=lead), decided_by_id=manager.id)
    scope = Scope(facility_ids=frozenset({line.id}))
    both = Period(date(2026, 9, 1), date(2026, 11, 1))
    september = Period(date(2026, 9, 1), date(2026, 10, 1))
    assert engine.lead_times(scope, september)[None] == (
        engine.nearest_rank(list(leads[date(2026, 9, 1)]), 50), engine.nearest_rank(list(leads[date(2026, 9, 1)]), 90),
        11)
    by_month = engine.lead_times(scope, both, "month")
    assert by_month == {"2026-09": engine.lead_times(scope, september)[None],
                        "2026-10": engine.lead_times(scope, Period(date(2026, 10, 1), date(2026, 11, 1)))[None]}
    assert engine.lead_times(scope, both)[None][2] == 14
