"""Recurrence rules: building them from form choices, refusing bad ones, expanding them in local time."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from booking.bookings import recurrence
from booking.bookings.recurrence import MAX_OCCURRENCES, build_rrule, expand, normalise
from booking.errors import InvalidInput

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def _app(app):  # messages are translated: they need the application
    return app


def days(rule: str, start: datetime, tz: ZoneInfo = SHANGHAI) -> list[date]:
    return [o.local_start.date() for o in expand(rule, start, HOUR, tz)]


def at(day: date, hhmm: str = "09:00", tz: ZoneInfo = SHANGHAI) -> datetime:
    return datetime.combine(day, time.fromisoformat(hhmm), tzinfo=tz)


def test_daily_with_count():
    assert days("FREQ=DAILY;COUNT=3", at(date(2027, 1, 30))) == [date(2027, 1, 30), date(2027, 1, 31),
                                                                  date(2027, 2, 1)]


def test_every_weekday_skips_the_weekend():
    # 2027-01-01 is a Friday
    assert days("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=4", at(date(2027, 1, 1))) == [
        date(2027, 1, 1), date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 6)]


def test_weekly_with_interval_on_several_weekdays():
    # 2027-01-04 is a Monday: every other week on Monday and Tuesday
    assert days("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU;COUNT=5", at(date(2027, 1, 4))) == [
        date(2027, 1, 4), date(2027, 1, 5), date(2027, 1, 18), date(2027, 1, 19), date(2027, 2, 1)]


def test_monthly_on_day_31_skips_short_months():
    assert days("FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4", at(date(2027, 1, 31))) == [
        date(2027, 1, 31), date(2027, 3, 31), date(2027, 5, 31), date(2027, 7, 31)]


def test_monthly_on_the_second_tuesday_and_on_the_last_friday():
    assert days("FREQ=MONTHLY;BYDAY=2TU;COUNT=3", at(date(2027, 1, 1))) == [
        date(2027, 1, 12), date(2027, 2, 9), date(2027, 3, 9)]
    assert days("FREQ=MONTHLY;BYDAY=-1FR;COUNT=3", at(date(2027, 1, 1))) == [
        date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26)]


def test_until_a_date_includes_that_local_day():
    assert days("FREQ=DAILY;UNTIL=20270103", at(date(2027, 1, 1), "20:00")) == [
        date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3)]


def test_until_a_utc_time_stops_at_that_instant():
    # 2027-01-03T00:00Z is 08:00 in Shanghai: the 09:00 occurrence that day is past it
    assert days("FREQ=DAILY;UNTIL=20270103T000000Z", at(date(2027, 1, 1))) == [date(2027, 1, 1), date(2027, 1, 2)]
    assert days("FREQ=DAILY;UNTIL=20270103T010000Z", at(date(2027, 1, 1)))[-1] == date(2027, 1, 3)


def test_until_and_count_give_the_same_series():
    by_count = expand("FREQ=WEEKLY;BYDAY=TU,TH;COUNT=6", at(date(2027, 1, 5)), HOUR, SHANGHAI)
    by_until = expand("FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270121", at(date(2027, 1, 5)), HOUR, SHANGHAI)
    assert by_count == by_until


def test_stored_rule_carries_until_in_utc():
    assert normalise("rrule:freq=weekly;byday=mo;until=20270301", SHANGHAI) == \
        "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270301T155959Z"
    assert normalise("FREQ=DAILY;COUNT=3", BERLIN) == "FREQ=DAILY;COUNT=3"


@pytest.mark.parametrize("first,change", [(date(2027, 3, 24), date(2027, 3, 28)),
                                          (date(2027, 10, 27), date(2027, 10, 31))])
def test_nine_oclock_stays_nine_oclock_in_berlin_across_daylight_saving(first, change):
    occurrences = expand("FREQ=DAILY;COUNT=8", at(first, "09:00", BERLIN), timedelta(hours=2), BERLIN)
    assert all(o.start.astimezone(BERLIN).time() == time(9) for o in occurrences)
    before = [o for o in occurrences if o.local_start.date() < change]
    after = [o for o in occurrences if o.local_start.date() >= change]
    summer, winter = time(7), time(8)  # 09:00 in Berlin, in UTC
    assert {o.start.time() for o in before} == {winter if change.month == 3 else summer}
    assert {o.start.time() for o in after} == {summer if change.month == 3 else winter}
    assert all(o.end - o.start == timedelta(hours=2) and o.start.tzinfo == UTC for o in occurrences)


def test_shanghai_has_no_daylight_saving():
    occurrences = expand("FREQ=WEEKLY;COUNT=30", at(date(2027, 1, 4)), HOUR, SHANGHAI)
    assert {o.start.time() for o in occurrences} == {time(1)}


def test_a_wall_clock_time_skipped_by_daylight_saving_is_reported_not_shifted():
    occurrences = expand("FREQ=DAILY;COUNT=3", at(date(2027, 3, 27), "02:30", BERLIN), HOUR, BERLIN)
    assert [o.error for o in occurrences] == [None, "nonexistent_time", None]
    assert "02:30" in recurrence.nonexistent_message(occurrences[1].local_start)


def test_at_most_366_occurrences_with_the_limit_in_the_message():
    assert len(expand("FREQ=DAILY;COUNT=366", at(date(2027, 1, 1)), HOUR, SHANGHAI)) == MAX_OCCURRENCES
    for rule in ("FREQ=DAILY;COUNT=367", "FREQ=DAILY;UNTIL=20280103"):
        with pytest.raises(InvalidInput, match="366") as error:
            expand(rule, at(date(2027, 1, 1)), HOUR, SHANGHAI)
        assert error.value.code == "too_many_occurrences"


@pytest.mark.parametrize("rule,code", [
    ("FREQ=HOURLY;COUNT=3", "unsupported_frequency"),
    ("FREQ=SECONDLY;COUNT=3", "unsupported_frequency"),
    ("FREQ=WEEKLY;BYDAY=MO", "rrule_end_required"),
    ("FREQ=DAILY;COUNT=3;UNTIL=20270301", "rrule_end_required"),
    ("DTSTART:20270101T090000Z\nRRULE:FREQ=DAILY;COUNT=3", "invalid_rrule"),
    ("FREQ=DAILY;COUNT=3;DTSTART=20270101", "invalid_rrule"),
    ("FREQ=DAILY;BYHOUR=9;COUNT=3", "invalid_rrule"),
    ("FREQ=WEEKLY;BYDAY=XX;COUNT=3", "invalid_rrule"),
    ("FREQ=MONTHLY;BYMONTHDAY=32;COUNT=3", "invalid_rrule"),
    ("FREQ=DAILY;INTERVAL=0;COUNT=3", "invalid_rrule"),
    ("FREQ=DAILY;UNTIL=2027;", "invalid_rrule"),
    ("FREQ=DAILY;UNTIL=20271340", "invalid_rrule"),
    ("every monday", "invalid_rrule"),
    ("", "invalid_rrule"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=2", "rrule_too_far"),
])
def test_bad_rules_are_refused_with_a_code(rule, code):
    with pytest.raises(InvalidInput) as error:
        expand(rule, at(date(2027, 1, 1)), HOUR, SHANGHAI)
    assert error.value.code == code
    assert error.value.field == "rrule"


@pytest.mark.parametrize("choices,expected", [
    ({"repeat": "daily", "count": 5}, "FREQ=DAILY;COUNT=5"),
    ({"repeat": "weekdays", "until": date(2027, 2, 1)}, "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20270201"),
    ({"repeat": "weekly", "interval": 2, "weekdays": [3, 1], "count": 4}, "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=4"),
    ({"repeat": "weekly", "count": 4}, "FREQ=WEEKLY;BYDAY=MO;COUNT=4"),
    ({"repeat": "monthly_day", "count": 4}, "FREQ=MONTHLY;BYMONTHDAY=4;COUNT=4"),
    ({"repeat": "monthly_day", "month_day": 31, "count": 4}, "FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4"),
    ({"repeat": "monthly_nth", "count": 4}, "FREQ=MONTHLY;BYDAY=1MO;COUNT=4"),
    ({"repeat": "monthly_nth", "nth": -1, "nth_weekday": 4, "count": 4}, "FREQ=MONTHLY;BYDAY=-1FR;COUNT=4"),
])
def test_form_choices_become_an_rrule(choices, expected):
    rule = build_rrule(start_day=date(2027, 1, 4), **choices)  # a Monday
    assert rule == expected
    assert expand(rule, at(date(2027, 1, 4)), HOUR, SHANGHAI)


def test_form_needs_an_end():
    with pytest.raises(InvalidInput) as error:
        build_rrule("daily", date(2027, 1, 4))
    assert error.value.code == "rrule_end_required"


def test_description_of_common_rules():
    with force_locale("en"):
        assert recurrence.describe("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU;COUNT=4") == "Every 2 weeks on Mon and Tue, 4 times"
        assert recurrence.describe("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270301T155959Z", SHANGHAI) == \
            "Monthly on the last Fri, until 2027-03-01"
