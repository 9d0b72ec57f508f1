"""Many processes at the same instant: exactly one wins, the others get 409, no overlap is stored.

Each worker is a separate process with its own application and database connection, as
gunicorn workers are. They meet at a barrier and then all request (or all approve) at once.
"""
from __future__ import annotations

import multiprocessing
import time
from datetime import timedelta

from sqlalchemy import select

from booking.bookings.models import BLOCKING, Booking
from booking.extensions import db

from ..factories import local, next_weekday

WORKERS = 16


def _worker(url: str, action: str, user_id: int, target_id: int, start, end, barrier, results) -> None:
    from booking import create_app
    from booking.accounts.models import User
    from booking.accounts.permissions import roles_of
    from booking.bookings import services
    from booking.db import set_read_only_transactions
    from booking.errors import Conflict, InvalidTransition
    from booking.facilities.models import Facility

    def act():
        user = db.session.get(User, user_id)
        if action == "request":
            facility = db.session.get(Facility, target_id)
            return services.request_booking(user, roles_of(user), facility, start, end, purpose="并发测试")
        booking = db.session.get(Booking, target_id)
        services.approve(user, roles_of(user), booking)
        return booking

    set_read_only_transactions(False)  # what every POST request does: SQLite takes the lock up front
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        act()  # a dry run, rolled back: connections, statement caches and catalogues are warm
        db.session.rollback()
        barrier.wait(timeout=60)  # hold no transaction (and no SQLite lock) while waiting
        began = time.time()
        try:
            outcome = ("won", act().id)
            db.session.commit()
        except (Conflict, InvalidTransition) as error:
            db.session.rollback()
            outcome = (f"409:{error.code}", None)
        except Exception as error:  # anything else is a bug the test must show
            db.session.rollback()
            outcome = (f"error:{type(error).__name__}:{error}", None)
        results.put((*outcome, began, time.time()))
        db.engine.dispose()


def _run(url, jobs) -> tuple[list, float]:
    db.session.commit()
    db.engine.dispose()  # no pooled connection crosses the fork
    ctx = multiprocessing.get_context("fork")  # each child builds its own app and engine
    barrier, results = ctx.Barrier(len(jobs)), ctx.Queue()
    processes = [ctx.Process(target=_worker, args=(url, *job, barrier, results)) for job in jobs]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
    # From the barrier's release to the last answer.
    return outcomes, max(o[3] for o in outcomes) - min(o[2] for o in outcomes)


def _assert_no_overlap(facility_id: int) -> None:
    blocking = db.session.scalars(select(Booking).where(Booking.facility_id == facility_id,
                                                        Booking.status.in_(BLOCKING))
                                  .order_by(Booking.start_at)).all()
    for first, second in zip(blocking, blocking[1:]):
        assert first.block_end <= second.start_at, (first.id, second.id)


def _report(what: str, outcomes, wall: float) -> None:
    winners = sum(1 for o in outcomes if o[0] == "won")
    slowest = max(o[3] - o[2] for o in outcomes)
    print(f"\n[concurrency] {what}: {len(outcomes)} attempts, {winners} winner(s), "
          f"{len(outcomes) - winners} refused with 409; slowest {slowest * 1000:.0f} ms, "
          f"wall {wall * 1000:.0f} ms ({db.engine.dialect.name})")


def test_simultaneous_overlapping_requests_have_one_winner(make, database_url):
    chain = make.chain()
    line = make.facility(chain, hours="00:00-24:00", requires_approval=False, buffer_minutes=30,
                         max_minutes=600)
    members = [make.member(chain) for _ in range(WORKERS)]
    db.session.commit()
    day = next_weekday(2)
    # Every request overlaps every other one, some only through the changeover buffer.
    jobs = [("request", m.id, line.id, local(day, "08:00") + timedelta(minutes=30 * (i % 4)),
             local(day, "12:00") + timedelta(minutes=30 * (i % 4))) for i, m in enumerate(members)]
    outcomes, wall = _run(database_url, jobs)
    _report("overlapping requests", outcomes, wall)
    assert [o[0] for o in outcomes if not o[0].startswith(("won", "409"))] == []
    assert sum(1 for o in outcomes if o[0] == "won") == 1
    assert sum(1 for o in outcomes if o[0] == "409:slot_taken") == WORKERS - 1
    db.session.expire_all()
    _assert_no_overlap(line.id)


def test_simultaneous_approvals_of_rival_requests_have_one_winner(make, database_url):
    chain = make.chain()
    studio = make.facility(chain, kind="livestream_studio")
    managers = [make.manager(studio) for _ in range(WORKERS)]
    day = next_weekday(3)
    rivals = [make.booking(studio, local(day, "19:00") + timedelta(minutes=30 * (i % 3)),
                           local(day, "21:00"), status="pending") for i in range(WORKERS)]
    db.session.commit()
    jobs = [("approve", manager.id, booking.id, None, None) for manager, booking in zip(managers, rivals)]
    outcomes, wall = _run(database_url, jobs)
    _report("approvals of rival requests", outcomes, wall)
    assert [o[0] for o in outcomes if not o[0].startswith(("won", "409"))] == []
    assert sum(1 for o in outcomes if o[0] == "won") == 1
    db.session.expire_all()
    statuses = sorted(b.status for b in db.session.scalars(select(Booking)))
    assert statuses == ["approved"] + ["rejected"] * (WORKERS - 1)
    _assert_no_overlap(studio.id)


def test_simultaneous_api_requests_have_one_winner(app, make):
    """The same race through HTTP: threads post at once, each request in its own context and connection."""
    import threading

    chain = make.chain()
    studio = make.facility(chain, kind="livestream_studio", requires_approval=False)
    tokens = [make.token(make.member(chain)) for _ in range(WORKERS)]
    db.session.commit()
    day = next_weekday(4)
    body = {"resource_id": studio.id, "start": local(day, "18:00").isoformat(),
            "end": local(day, "20:00").isoformat(), "purpose": "直播带货"}
    barrier = threading.Barrier(WORKERS)
    statuses: list[int] = []

    def post(token: str) -> None:
        client = app.test_client()
        barrier.wait(timeout=60)
        response = client.post("/api/v1/bookings", json=body, headers={"Authorization": f"Bearer {token}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(statuses) == [201] + [409] * (WORKERS - 1)
    db.session.expire_all()
    _assert_no_overlap(studio.id)
