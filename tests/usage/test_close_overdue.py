"""No-shows and forgotten check-outs: the scheduled command and the service behind it."""
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import select

from booking.bookings.models import Booking
from booking.extensions import db
from booking.usage.models import UsageRecord
from booking.usage.services import close_overdue


def status_of(booking_id: int) -> str:
    return db.session.scalar(select(Booking.status).where(Booking.id == booking_id))


def checked_in(make, scene, start_in: int, minutes: int = 60):
    booking = scene.booking(make, start_in=start_in, minutes=minutes, status="checked_in")
    db.session.add(UsageRecord(booking=booking, actual_start=booking.start_at, output_unit="pairs"))
    db.session.flush()
    return booking


def test_booking_past_its_grace_becomes_no_show_by_the_system(make, scene):
    late = scene.booking(make, start_in=-16)
    with force_locale("en"):  # the system writes reasons in the default locale (zh_CN); read them in English
        assert close_overdue(now=scene.now) == (1, 0)
    assert late.status == "no_show"
    event = late.events[-1]
    assert (event.from_status, event.to_status, event.actor_id) == ("approved", "no_show", None)
    assert "grace period" in event.reason


def test_booking_within_its_grace_stays_approved(make, scene):
    booking = scene.booking(make, start_in=-14)
    scene.booking(make, start_in=120)
    assert close_overdue(now=scene.now) == (0, 0)
    assert booking.status == "approved"


def test_grace_is_per_facility(make, scene):
    patient = make.facility(scene.facility.chain, no_show_grace_minutes=60)
    booking = scene.booking(make, start_in=-30, facility=patient)
    assert close_overdue(now=scene.now) == (0, 0)
    assert close_overdue(now=scene.now + timedelta(minutes=30)) == (1, 0)
    assert booking.status == "no_show"


def test_booking_left_checked_in_is_closed_at_its_end_with_a_flag(make, scene):
    booking = checked_in(make, scene, start_in=-90)
    assert close_overdue(now=scene.now) == (0, 1)
    assert booking.status == "completed"
    assert booking.usage.actual_end == booking.end_at and booking.usage.auto_closed
    assert booking.events[-1].actor_id is None and booking.events[-1].details == {"auto_closed": True}


def test_checked_in_booking_still_running_is_left_alone(make, scene):
    booking = checked_in(make, scene, start_in=-10)
    assert close_overdue(now=scene.now) == (0, 0)
    assert booking.status == "checked_in" and booking.usage.actual_end is None


def test_second_run_closes_nothing_and_costs_one_query(make, scene, count_queries):
    scene.booking(make, start_in=-300, minutes=60)
    checked_in(make, scene, start_in=-200)
    assert close_overdue(now=scene.now) == (1, 1)
    db.session.commit()
    with count_queries() as seen:
        assert close_overdue(now=scene.now) == (0, 0)
    assert len(seen) <= 2  # the candidates' query (and BEGIN on SQLite)


def _scene_of(make, scene, n: int) -> None:
    for i in range(n):
        scene.booking(make, start_in=-1000 - 200 * i, minutes=60)
        checked_in(make, scene, start_in=-900 - 200 * i)
    db.session.commit()


def test_query_count_does_not_grow_with_the_number_of_bookings(app, make, scene, count_queries):
    _scene_of(make, scene, 2)
    with count_queries() as few:
        assert close_overdue(now=scene.now) == (2, 2)
    db.session.commit()
    _scene_of(make, scene, 12)
    with count_queries() as many:
        assert close_overdue(now=scene.now) == (12, 12)
    assert len(many) == len(few), "\n".join(many)


def test_cli_command_closes_and_commits(runner, make, scene):
    late = scene.booking(make, start_in=-60).id
    forgotten = checked_in(make, scene, start_in=-200).id
    db.session.commit()
    result = runner.invoke(args=["close-no-shows"])
    assert result.exit_code == 0, result.output
    assert "1 no-shows, 1 closed automatically" in result.output
    db.session.expire_all()
    assert (status_of(late), status_of(forgotten)) == ("no_show", "completed")
    assert runner.invoke(args=["close-no-shows"]).output.startswith("0 no-shows, 0")


def test_a_long_backlog_is_closed_in_chunks(make, scene, monkeypatch):
    from booking.usage import services
    monkeypatch.setattr(services, "CHUNK", 2)
    late = [scene.booking(make, start_in=-16 - 60 * i, minutes=30) for i in range(5)]
    assert close_overdue(now=scene.now) == (5, 0)
    assert {status_of(b.id) for b in late} == {"no_show"}
    assert close_overdue(now=scene.now) == (0, 0)
