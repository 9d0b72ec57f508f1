"""How fast the committee's reports are on a county-scale database, against a floor.

    DATABASE_URL=sqlite:///$PWD/instance/bench.sqlite .venv/bin/python bench/reports.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/reports.py

The database is one filled by ``flask --app booking generate-load`` (``make bench-data``). Every
report function of ``booking/reports/engine.py`` that exists is timed over all facilities for the
last full calendar year in the data, best of N runs and median (after one untimed warm-up run), and
compared with the floor: one hand-written SQL aggregate over the same bookings (booked seconds
clipped to the year and a count, per facility) — about the least work any such report can do.
One process; PostgreSQL is kept to one core too (no parallel workers).
"""
from __future__ import annotations

import argparse
import importlib
import os
import platform
import statistics
import sys
import time
from datetime import UTC, date, datetime, time as clock, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, func, select, text  # noqa: E402

from booking import create_app  # noqa: E402
from booking.bookings.models import Booking  # noqa: E402
from booking.db import set_read_only_transactions  # noqa: E402
from booking.extensions import db  # noqa: E402
from database import describe  # noqa: E402 - bench/database.py
from booking.facilities.models import Facility  # noqa: E402

BOOKED = "('approved', 'checked_in', 'completed')"
# Booked seconds inside [lo, hi) and bookings, per facility. The lower bound on start_at is the one the
# reports use too (no booking is longer than its facility's longest), so the index bounds both sides.
FLOOR = {
    "sqlite": f"""
        SELECT facility_id, COUNT(*),
               SUM((julianday(MIN(end_at, :hi)) - julianday(MAX(start_at, :lo))) * 86400)
        FROM bookings
        WHERE status IN {BOOKED} AND start_at < :hi AND start_at > :earliest AND end_at > :lo
        GROUP BY facility_id""",
    "postgresql": f"""
        SELECT facility_id, COUNT(*),
               SUM(EXTRACT(EPOCH FROM LEAST(end_at, :hi) - GREATEST(start_at, :lo)))
        FROM bookings
        WHERE status IN {BOOKED} AND start_at < :hi AND start_at > :earliest AND end_at > :lo
        GROUP BY facility_id""",
}
# What the report functions are asked: (name, group_by or None).
REPORTS = [("utilization", "facility"), ("fairness", None), ("lead_times", "facility"), ("heatmap", None),
           ("report", "facility")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per function (default 5)")
    parser.add_argument("--year", type=int, help="report year (default: the last full calendar year in the data)")
    parser.add_argument("--only", nargs="*", help="time only these report functions")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        parser.error("set DATABASE_URL to a database filled by `flask --app booking generate-load`")

    app = create_app()
    with app.app_context():
        set_read_only_transactions(True)  # as for a GET request: SQLite readers take no write lock
        one_core(db.engine)
        facilities = db.session.scalar(select(func.count(Facility.id)))
        bookings = db.session.scalar(select(func.count(Booking.id)))
        if not bookings:
            sys.exit("the database holds no bookings: fill it with `flask --app booking generate-load` first")
        year = args.year or last_full_year()
        print(f"database   {describe(db.engine)}")
        print(f"dataset    {facilities:,} facilities, {bookings:,} bookings")
        print(f"window     {year}-01-01 to {year + 1}-01-01 (Asia/Shanghai), all facilities, "
              f"best and median of {args.runs} runs after a warm-up")
        print(f"python     {platform.python_version()}, one process\n")
        rows = time_everything(year, args.runs, args.only)
    floor = rows[0][1]
    print(f"{'':24}{'best ms':>10}{'median ms':>11}{'× floor':>9}")
    for name, best, median, note in rows:
        if best is None:
            print(f"{name:24}{'—':>10}{'—':>11}{'':>9}  {note}")
        else:
            print(f"{name:24}{best * 1000:10.1f}{median * 1000:11.1f}{best / floor:9.1f}  {note}")


def one_core(engine) -> None:
    """PostgreSQL would otherwise spread a large aggregate over parallel workers."""
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect",
                     lambda conn, _record: conn.execute("SET max_parallel_workers_per_gather = 0"))
        engine.dispose()


def last_full_year() -> int:
    first, last = db.session.execute(select(func.min(Booking.start_at), func.max(Booking.start_at))).one()
    year = (last + timedelta(days=1)).year - 1  # a year ending on the data's last day still counts
    if date(year, 1, 1) < (first + timedelta(days=1)).date():
        sys.exit(f"the data ({first:%Y-%m-%d} to {last:%Y-%m-%d}) holds no full calendar year")
    return year


def time_everything(year: int, runs: int, only: list[str] | None) -> list[tuple]:
    from booking.reports.query import Period, Scope
    period, scope = Period(date(year, 1, 1), date(year + 1, 1, 1)), Scope()
    rows = [("floor (one SQL aggregate)", *timed(lambda: floor(year), runs), floor_note(year))]
    try:
        engine = importlib.import_module("booking.reports.engine")
    except ImportError as error:
        return rows + [(name, None, None, f"booking.reports.engine not importable: {error}") for name, _ in REPORTS]
    for name, group_by in REPORTS:
        if only and name not in only:
            continue
        function = getattr(engine, name, None)
        if function is None:
            rows.append((name, None, None, "not written yet"))
            continue
        call = (lambda f=function, g=group_by: f(scope, period, g)) if group_by else \
            (lambda f=function: f(scope, period))
        label = f"{name}({group_by})" if group_by else name
        try:
            rows.append((label, *timed(call, runs), ""))
        except Exception as error:  # noqa: BLE001 - a function being written may fail: report it, go on
            db.session.rollback()
            rows.append((label, None, None, f"failed: {type(error).__name__}: {error}"[:160]))
    return rows


def timed(call, runs: int) -> tuple[float, float]:
    """Best and median wall time of ``call`` in a fresh session each time (after a warm-up run)."""
    times = []
    for run in range(runs + 1):
        db.session.remove()
        started = time.perf_counter()
        call()
        elapsed = time.perf_counter() - started
        if run:
            times.append(elapsed)
    db.session.remove()
    return min(times), statistics.median(times)


def bounds(year: int) -> dict:
    tz = ZoneInfo("Asia/Shanghai")
    lo = datetime.combine(date(year, 1, 1), clock(), tz).astimezone(UTC)
    hi = datetime.combine(date(year + 1, 1, 1), clock(), tz).astimezone(UTC)
    longest = db.session.scalar(select(func.max(Facility.max_minutes)))
    values = {"lo": lo, "hi": hi, "earliest": lo - timedelta(minutes=longest + 1)}
    if db.engine.dialect.name == "sqlite":  # compared as text, in the form SQLAlchemy stores
        values = {k: v.replace(tzinfo=None).isoformat(" ", "microseconds") for k, v in values.items()}
    return values


def floor(year: int) -> list:
    return db.session.execute(text(FLOOR[db.engine.dialect.name]), bounds(year)).all()


def floor_note(year: int) -> str:
    rows = floor(year)
    hours = sum(float(seconds) for _f, _n, seconds in rows) / 3600
    return f"{sum(n for _f, n, _s in rows):,} bookings, {hours:,.0f} booked hours, {len(rows)} facilities"


if __name__ == "__main__":
    main()
