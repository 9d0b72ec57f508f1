"""Members of one enterprise requesting at the same instant never overrun its quota together.

Each worker is a separate process with its own application and connection (as gunicorn workers
are); they book different facilities, so only the enterprise's own lock keeps them in line.
"""
from __future__ import annotations

import multiprocessing
from datetime import timedelta

from sqlalchemy import func, select

from booking.bookings.models import Booking
from booking.extensions import db
from booking.quotas.models import Quota

from ..factories import local, next_weekday

WORKERS = 6


def _worker(url: str, user_id: int, facility_id: int, start, end, barrier, results) -> None:
    from booking import create_app
    from booking.accounts.models import User
    from booking.accounts.permissions import roles_of
    from booking.bookings import services
    from booking.db import set_read_only_transactions
    from booking.errors import DomainError
    from booking.facilities.models import Facility

    def act():
        user = db.session.get(User, user_id)
        return services.request_booking(user, roles_of(user), db.session.get(Facility, facility_id), start, end)

    set_read_only_transactions(False)
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.session.rollback()
        barrier.wait(timeout=60)
        try:
            act()
            db.session.commit()
            outcome = "won"
        except DomainError as error:
            db.session.rollback()
            outcome = error.code
        except Exception as error:  # anything else is a bug the test must show
            db.session.rollback()
            outcome = f"error:{type(error).__name__}:{error}"
        results.put(outcome)
        db.engine.dispose()


def test_simultaneous_requests_of_one_enterprise_stay_within_its_quota(make, database_url):
    chain = make.chain()
    lines = [make.facility(chain, kind="production_line", hours="00:00-24:00", max_minutes=600) for _ in range(3)]
    first = make.member(chain)
    members = [first] + [make.user(first.membership.enterprise) for _ in range(WORKERS - 1)]
    db.session.add(Quota(kind="production_line", chain_id=chain.id, period="week", limit_bookings=2,
                         over_limit="refuse"))
    db.session.commit()
    db.engine.dispose()
    day = next_weekday(2)
    jobs = [(m.id, lines[i % 3].id, local(day, "08:00") + timedelta(hours=2 * i),
             local(day, "09:00") + timedelta(hours=2 * i)) for i, m in enumerate(members)]
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(len(jobs)), ctx.Queue()
    processes = [ctx.Process(target=_worker, args=(database_url, *job, barrier, results)) for job in jobs]
    for process in processes:
        process.start()
    outcomes = sorted(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=30)
    assert outcomes == ["quota_exceeded"] * (WORKERS - 2) + ["won"] * 2
    db.session.rollback()  # end the snapshot read while the jobs were set up
    assert db.session.scalar(select(func.count(Booking.id))) == 2
