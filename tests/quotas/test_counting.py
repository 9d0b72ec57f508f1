"""What a quota counts: the enterprise's members together, per period in the chain's time zone."""
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from booking.accounts.permissions import roles_of
from booking.bookings import series
from booking.bookings.models import Booking
from booking.extensions import db
from booking.quotas.services import QuotaExceeded, period_of

from ..factories import SHANGHAI, local, next_weekday
from .conftest import request


def test_members_of_one_enterprise_share_its_quota(scene, quota):
    quota(limit_hours="3")
    day = next_weekday(0)
    request(scene.member, scene.line, local(day, "08:00"), local(day, "10:00"))
    with pytest.raises(QuotaExceeded) as refused:
        request(scene.colleague, scene.line, local(day + timedelta(days=1), "08:00"), local(day + timedelta(days=1),
                                                                                            "10:00"))
    assert refused.value.status == 422 and refused.value.code == "quota_exceeded"
    assert refused.value.details["remaining_hours"] == "1.00"
    assert refused.value.details["used"] == "2.00" and refused.value.details["limit"] == "3.00"
    # The same hour is within reach of the colleague.
    assert request(scene.colleague, scene.line, local(day, "12:00"), local(day, "13:00")).status == "pending"


def test_another_enterprise_is_counted_on_its_own(scene, quota):
    quota(limit_hours="3")
    day = next_weekday(0)
    request(scene.member, scene.line, local(day, "08:00"), local(day, "11:00"))
    assert request(scene.rival, scene.line, local(day, "12:00"), local(day, "15:00")).status == "pending"


def test_a_quota_for_one_enterprise_leaves_the_others_alone(scene, quota):
    quota(limit_hours="1", enterprise_id=scene.rival.membership.enterprise_id)
    day = next_weekday(1)
    assert request(scene.member, scene.line, local(day, "08:00"), local(day, "12:00")).status == "pending"
    with pytest.raises(QuotaExceeded):
        request(scene.rival, scene.line, local(day, "13:00"), local(day, "15:00"))


def test_weeks_begin_on_monday_at_midnight_in_the_chains_time_zone():
    sunday_late = local(date(2025, 3, 9), "23:30")   # 15:30 UTC: the same UTC day as Monday 00:30
    monday_early = local(date(2025, 3, 10), "00:30")
    assert period_of(sunday_late, "week", "Asia/Shanghai") == (local(date(2025, 3, 3), "00:00"),
                                                               local(date(2025, 3, 10), "00:00"))
    assert period_of(monday_early, "week", "Asia/Shanghai") == (local(date(2025, 3, 10), "00:00"),
                                                                local(date(2025, 3, 17), "00:00"))
    assert period_of(local(date(2025, 2, 28), "23:30"), "month", "Asia/Shanghai")[1] == local(date(2025, 3, 1),
                                                                                               "00:00")
    assert period_of(local(date(2025, 3, 1), "00:30"), "year", "Asia/Shanghai")[0] == local(date(2025, 1, 1), "00:00")


def test_sunday_night_counts_in_its_week_and_monday_morning_in_the_next(make, scene, quota):
    quota(limit_bookings=1)
    monday = next_weekday(0, weeks_ahead=2)
    sunday = monday - timedelta(days=1)
    make.booking(scene.line, local(sunday, "23:30"), local(monday, "00:00"), status="approved", enterprise=scene.firm,
                 requester=scene.member)
    # 00:30 on Monday in Shanghai is still Sunday in UTC; it belongs to the next week all the same.
    assert request(scene.colleague, scene.line, local(monday, "00:30"), local(monday, "01:30")).status == "pending"
    with pytest.raises(QuotaExceeded) as refused:
        request(scene.colleague, scene.line, local(sunday, "20:00"), local(sunday, "21:00"))
    assert refused.value.details["period_start"] == local(sunday - timedelta(days=6), "00:00").isoformat().replace(
        "+00:00", "Z")
    assert refused.value.details["remaining_bookings"] == 0


def test_the_last_evening_of_a_month_and_the_first_night_of_the_next(make, scene, quota):
    quota(limit_bookings=1, period="month")
    today = datetime.now(SHANGHAI).date()
    first_next = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    first_after = (first_next + timedelta(days=32)).replace(day=1)
    last_day = first_after - timedelta(days=1)
    make.booking(scene.line, local(last_day, "23:00"), local(last_day, "23:30"), status="pending",
                 enterprise=scene.firm, requester=scene.member)
    assert request(scene.member, scene.line, local(first_after, "00:30"), local(first_after, "01:00"))
    with pytest.raises(QuotaExceeded):
        request(scene.member, scene.line, local(last_day - timedelta(days=3), "10:00"),
                local(last_day - timedelta(days=3), "11:00"))


def test_a_slot_across_two_weeks_is_checked_in_each(make, scene, quota):
    quota(limit_hours="2")
    monday = next_weekday(0, weeks_ahead=2)
    make.booking(scene.line, local(monday, "10:00"), local(monday, "12:00"), status="approved", enterprise=scene.firm,
                 requester=scene.member)
    # Sunday 23:00 to Monday 01:00: one hour fits last week, but this week's two are gone.
    with pytest.raises(QuotaExceeded) as refused:
        request(scene.member, scene.line, local(monday - timedelta(days=1), "23:00"), local(monday, "01:00"))
    assert refused.value.details["period_start"].startswith(str(local(monday, "00:00").date()))
    assert request(scene.member, scene.line, local(monday - timedelta(days=1), "22:00"),
                   local(monday, "00:00")).status == "pending"


def test_a_bookings_limit_counts_requests_not_hours(scene, quota):
    quota(limit_bookings=2)
    day = next_weekday(2)
    request(scene.member, scene.line, local(day, "08:00"), local(day, "16:00"))
    request(scene.colleague, scene.line, local(day, "17:00"), local(day, "17:30"))
    with pytest.raises(QuotaExceeded) as refused:
        request(scene.member, scene.line, local(day, "18:00"), local(day, "18:30"))
    assert refused.value.details["remaining_bookings"] == 0
    assert refused.value.details["quota"]["limit_bookings"] == 2


def test_an_hours_limit_counts_the_hours(scene, quota):
    quota(limit_hours="3.5")
    day = next_weekday(2)
    request(scene.member, scene.line, local(day, "08:00"), local(day, "10:00"))
    request(scene.member, scene.line, local(day, "11:00"), local(day, "12:30"))  # exactly the limit
    with pytest.raises(QuotaExceeded) as refused:
        request(scene.member, scene.line, local(day, "13:00"), local(day, "13:30"))
    assert refused.value.details["remaining_hours"] == "0.00"


def test_peak_only_counts_the_part_inside_peak_hours(scene, quota):
    quota(facility_id=scene.studio.id, limit_hours="2", peak_only=True)
    day = next_weekday(3)
    request(scene.member, scene.studio, local(day, "08:00"), local(day, "16:00"))  # no peak time at all
    request(scene.member, scene.studio, local(day, "16:30"), local(day, "19:00"))  # one peak hour
    request(scene.member, scene.studio, local(day, "21:00"), local(day, "23:00"))  # one peak hour: at the limit
    with pytest.raises(QuotaExceeded) as refused:
        request(scene.member, scene.studio, local(day + timedelta(days=1), "17:30"), local(day + timedelta(days=1),
                                                                                           "18:30"))
    assert refused.value.details["used"] == "2.00"
    assert request(scene.member, scene.studio, local(day + timedelta(days=1), "22:00"),
                   local(day + timedelta(days=1), "23:30")).status == "pending"


def test_a_facility_without_peak_hours_uses_no_peak_allowance(scene, quota):
    quota(limit_hours="0", peak_only=True)
    day = next_weekday(3)
    assert request(scene.member, scene.line, local(day, "18:00"), local(day, "22:00")).status == "pending"


def test_a_series_counts_its_own_earlier_dates(scene, quota):
    quota(limit_hours="6")
    monday = next_weekday(0)
    with pytest.raises(QuotaExceeded) as refused:
        series.request_series(scene.member, roles_of(scene.member), scene.line, local(monday, "08:00"),
                              local(monday, "10:00"), "FREQ=DAILY;COUNT=4")
    assert refused.value.details["used"] == "6.00"
    assert refused.value.details["start"] == local(monday + timedelta(days=3), "08:00").isoformat().replace(
        "+00:00", "Z")
    _series, bookings, _skipped = series.request_series(
        scene.member, roles_of(scene.member), scene.line, local(monday, "08:00"), local(monday, "10:00"),
        "FREQ=DAILY;COUNT=3")
    assert len(bookings) == 3


def test_a_kind_quota_counts_every_facility_of_the_kind_in_its_chain(make, scene, quota):
    quota(kind="production_line", chain_id=scene.chain.id, limit_hours="3")
    elsewhere = make.chain()
    quota(kind="production_line", chain_id=elsewhere.id, limit_hours="0")  # another chain's: not ours
    day = next_weekday(1)
    request(scene.member, scene.line, local(day, "08:00"), local(day, "10:00"))
    with pytest.raises(QuotaExceeded) as refused:
        request(scene.colleague, scene.second_line, local(day, "08:00"), local(day, "10:00"))
    assert refused.value.details["quota"]["kind"] == "production_line"
    assert request(scene.member, scene.studio, local(day, "08:00"), local(day, "12:00")).status == "pending"


@pytest.mark.parametrize("status,counts", [("rejected", False), ("cancelled", False), ("pending", True),
                                           ("approved", True), ("completed", True), ("no_show", True)])
def test_which_bookings_count(make, scene, quota, status, counts):
    quota(limit_hours="2")
    day = next_weekday(4)
    make.booking(scene.line, local(day, "08:00"), local(day, "10:00"), status=status, enterprise=scene.firm,
                 requester=scene.colleague)
    if counts:
        with pytest.raises(QuotaExceeded):
            request(scene.member, scene.line, local(day, "12:00"), local(day, "13:00"))
    else:
        assert request(scene.member, scene.line, local(day, "12:00"), local(day, "13:00")).status == "pending"


def test_a_retired_quota_no_longer_counts(scene, quota):
    retired = quota(limit_hours="0")
    retired.deleted_at = retired.created_at
    day = next_weekday(4)
    assert request(scene.member, scene.line, local(day, "12:00"), local(day, "13:00")).status == "pending"


def test_moving_a_series_does_not_count_the_dates_it_leaves(scene, quota):
    monday = next_weekday(0)
    made, bookings, _skipped = series.request_series(
        scene.member, roles_of(scene.member), scene.line, local(monday, "08:00"), local(monday, "10:00"),
        "FREQ=DAILY;COUNT=3")
    quota(limit_hours="6")
    moved = series.change_series_time(scene.member, roles_of(scene.member), made, time(14, 0), 120)
    assert {b.start_at.astimezone(SHANGHAI).hour for b in moved} == {14}
    assert not any(b.over_quota for b in moved)


def test_a_request_is_checked_with_a_fixed_number_of_queries(make, scene, quota, count_queries):
    day = next_weekday(1)

    def cost(quotas: int, bookings: int, offset: int) -> int:
        for _n in range(quotas):
            quota(limit_hours="500")
        for n in range(bookings):
            make.booking(scene.line, local(day + timedelta(days=offset), "00:00") + timedelta(hours=n),
                         status="approved", enterprise=scene.firm, requester=scene.colleague)
        db.session.commit()
        start = local(day + timedelta(days=offset), "20:00")
        roles_of(scene.member)  # who the member is, worked out once per request anyway
        with count_queries() as seen:
            request(scene.member, scene.line, start, start + timedelta(hours=1))
        db.session.rollback()
        return len(seen)

    few = cost(1, 1, 1)
    many = cost(3, 12, 2)
    assert few == many
    assert db.session.scalar(select(Booking.id).where(Booking.start_at == local(day + timedelta(days=1), "20:00"))) \
        is None
