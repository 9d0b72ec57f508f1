"""Server time and SQL queries of the busiest pages on a county-scale database.

    DATABASE_URL=sqlite:///$PWD/instance/bench.sqlite .venv/bin/python bench/pages.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/pages.py

The database is one filled by ``flask --app booking generate-load`` (``make bench-data``). One process runs
the real app (``create_app()``) and Flask's test client, which goes through the whole WSGI stack (sessions,
sign-in, CSRF-free GET pages, templates) without a socket. Each page is fetched once to warm up, then N
times: best and median wall time, and the SQL statements it ran (``before_cursor_execute`` on the engine;
BEGIN/COMMIT/PRAGMA/SET aside). Each page is also fetched for a second, smaller scope (a smaller chain,
a quieter facility, an enterprise with fewer bookings...): "fixed" says whether both ran as many queries.

Users come from the generator (booking/demo/county.py): admin@county.local, committeeNN.1, managerNN.k and
eNNN.1, all with the demo password. The bench adds one API token and one calendar feed, and removes them
(and the sign-in audit lines stay: they are what a real sign-in leaves). Rate limits are switched off for
this process only (300 availability requests per run would exceed the API's per-token limit).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, select, text  # noqa: E402

from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from database import describe  # noqa: E402 - bench/database.py

CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "PRAGMA", "COMMIT", "ROLLBACK", "SET ", "SHOW ")
TARGET_MS = 100.0
SLOW_S = 1.0  # a page slower than this (warm-up) is timed twice only, to keep the bench short
PASSWORD = "demo1234"


class Counter:
    """Counts the SQL statements the engine runs (transaction control aside)."""

    def __init__(self, engine):
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(CONTROL):
            self.n += 1


def sizes() -> str:
    counts = {name: db.session.scalar(text(f"SELECT COUNT(*) FROM {name}"))
              for name in ("bookings", "facilities", "enterprises", "chains", "users")}
    return ", ".join(f"{n:,} {name}" for name, n in counts.items())


def pick(sql: str, **params):
    return db.session.execute(text(sql), params).first()


def choose() -> dict:
    """The users and objects the pages are asked about: a big and a small one of each."""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    chains = db.session.execute(text(
        "SELECT chain_id, COUNT(*) AS n FROM facilities GROUP BY chain_id ORDER BY n DESC, chain_id")).all()
    # Facilities by bookings in the coming week (the week view's week).
    monday = today - timedelta(days=today.weekday())
    lo, hi = bound(monday), bound(monday + timedelta(days=7))
    busy = db.session.execute(text(
        "SELECT f.id, COUNT(b.id) AS n FROM facilities f LEFT JOIN bookings b ON b.facility_id = f.id "
        "AND b.start_at >= :lo AND b.start_at < :hi GROUP BY f.id ORDER BY n DESC, f.id"), dict(lo=lo, hi=hi)).all()
    managers = db.session.execute(text(
        "SELECT u.email, COUNT(b.id) AS n FROM users u JOIN facility_managers m ON m.user_id = u.id "
        "LEFT JOIN bookings b ON b.facility_id = m.facility_id AND b.status = 'pending' "
        "GROUP BY u.email ORDER BY n DESC, u.email")).all()
    enterprises = db.session.execute(text(
        "SELECT e.id, COUNT(b.id) AS n FROM enterprises e LEFT JOIN bookings b ON b.enterprise_id = e.id "
        "GROUP BY e.id ORDER BY n DESC, e.id")).all()
    return dict(
        today=today,
        chain_big=chains[0], chain_small=chains[-1],
        facility_big=busy[0], facility_small=busy[-1],
        # The small scope still has a request waiting (an empty queue skips the query for rival requests).
        manager_big=managers[0], manager_small=[m for m in managers if m[1]][-1],
        enterprise_big=enterprises[0], enterprise_small=enterprises[-1],
    )


def bound(day) -> object:
    value = datetime.combine(day, datetime.min.time(), ZoneInfo("Asia/Shanghai")).astimezone(ZoneInfo("UTC"))
    if db.engine.dialect.name == "sqlite":  # compared as text, in the form SQLAlchemy stores
        return value.replace(tzinfo=None).isoformat(" ", "microseconds")
    return value


class Bench:
    def __init__(self, app, counter: Counter, runs: int):
        self.app, self.counter, self.runs = app, counter, runs
        self.clients: dict[str, object] = {}

    def client(self, email: str):
        if email not in self.clients:
            client = self.app.test_client()
            response = client.post("/login", data={"email": email, "password": PASSWORD})
            if response.status_code != 302:
                sys.exit(f"cannot sign in as {email}: HTTP {response.status_code}")
            self.clients[email] = client
        return self.clients[email]

    def fetch(self, email: str | None, url: str, headers: dict | None = None, before=None) -> tuple[float, int]:
        """Seconds and queries of one GET (the response read in full); ``before`` runs first, untimed."""
        client = self.client(email) if email else self.app.test_client()
        if before is not None:
            with self.app.app_context():
                before()
        queries = self.counter.n
        started = time.perf_counter()
        response = client.get(url, headers=headers or {})
        response.get_data()
        elapsed = time.perf_counter() - started
        if response.status_code != (304 if "If-None-Match" in (headers or {}) else 200):
            raise RuntimeError(f"GET {url} as {email}: HTTP {response.status_code} "
                               f"{response.get_data(as_text=True)[:80]!r}")
        return elapsed, self.counter.n - queries

    def measure(self, email: str | None, url: str, headers: dict | None = None,
                before=None) -> tuple[float, float, int]:
        """Best, median seconds and the queries of ``url`` (after one warm-up fetch)."""
        warm, _n = self.fetch(email, url, headers, before)
        times, queries = [], set()
        for _run in range(self.runs if warm < SLOW_S else min(self.runs, 2)):
            elapsed, n = self.fetch(email, url, headers, before)
            times.append(elapsed)
            queries.add(n)
        return min(times), statistics.median(times), max(queries)

    def many(self, email: str | None, urls: list[str], headers: dict | None = None):
        """The same for a list of URLs fetched one after the other: total best/median and per-URL figures."""
        for url in urls:
            self.fetch(email, url, headers)
        totals, per_url, counts = [], [], set()
        for _run in range(self.runs):
            total = 0.0
            for url in urls:
                elapsed, n = self.fetch(email, url, headers)
                total += elapsed
                per_url.append(elapsed)
                counts.add(n)
            totals.append(total)
        return min(totals), statistics.median(totals), min(per_url), statistics.median(per_url), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page (default 5)")
    parser.add_argument("--availability", type=int, default=300, help="facilities asked for availability")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        parser.error("set DATABASE_URL to a database filled by `flask --app booking generate-load`")

    os.environ.setdefault("FLASK_RATELIMIT_ENABLED", "false")
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False  # the sign-in form is posted without fetching its token first
    # Requests run outside any app context of ours: a pushed context would be shared by every request
    # (its ``g`` and session too), which is not how a server runs them.
    with app.app_context():
        counter = Counter(db.engine)
        print(f"database   {describe(db.engine)}")
        print(f"dataset    {sizes()}")
        chosen = choose()
        print(f"python     {platform.python_version()}, one process, Flask test client (full WSGI stack, "
              f"no socket); best and median of {args.runs} runs after a warm-up\n")
        token, feeds = setup(chosen)
        db.session.commit()
    print_header()
    try:
        run_all(Bench(app, counter, args.runs), chosen, token, feeds, args.availability)
    finally:
        with app.app_context():
            cleanup(token, feeds)


def setup(chosen: dict):
    from booking.accounts.models import User
    from booking.accounts.permissions import roles_of
    from booking.accounts.services import create_api_token
    from booking.calendar.services import create_feed, feed_token
    admin = db.session.scalar(select(User).where(User.email == "admin@county.local"))
    api_token, secret = create_api_token(admin, name="bench/pages.py", scopes="read")
    db.session.flush()
    feeds = {}
    for size in ("big", "small"):
        facility_id = chosen[f"facility_{size}"][0]
        feed = create_feed(admin, roles_of(admin), "facility", facility_id)
        db.session.flush()
        feeds[size] = (feed.id, feed_token(feed))
    return (api_token.id, secret), feeds


def forget_feed_bodies() -> None:
    from booking.calendar.models import FeedBody
    db.session.execute(FeedBody.__table__.delete())
    db.session.commit()


def cleanup(token, feeds) -> None:
    from booking.accounts.models import ApiToken
    from booking.calendar.models import CalendarFeed
    db.session.execute(CalendarFeed.__table__.delete().where(CalendarFeed.id.in_([f for f, _t in feeds.values()])))
    db.session.execute(ApiToken.__table__.delete().where(ApiToken.id == token[0]))
    db.session.commit()


def run_all(bench: Bench, chosen: dict, token, feeds, availability: int) -> list[tuple]:
    today = chosen["today"]
    monday = today - timedelta(days=today.weekday())
    admin = "admin@county.local"
    rows = []

    def page(label: str, big: tuple[str | None, str], small: tuple[str | None, str], note: str = "",
             headers: dict | None = None, before=None):
        try:
            best, median, queries = bench.measure(*big, headers=headers, before=before)
            _b, _m, small_queries = bench.measure(*small, headers=headers, before=before)
            rows.append((label, median, best, queries, small_queries, note))
        except Exception as error:  # noqa: BLE001 - one failing page should not hide the others
            rows.append((label, None, None, None, None, f"failed: {error}"[:200]))
        print_row(*rows[-1])

    cb, cs = chosen["chain_big"], chosen["chain_small"]
    page("chain day view (committee)",
         (f"committee{cb[0]:02d}.1@county.local", f"/chains/{cb[0]}/day?date={today}"),
         (f"committee{cs[0]:02d}.1@county.local", f"/chains/{cs[0]}/day?date={today}"),
         f"chain {cb[0]} ({cb[1]} facilities) / chain {cs[0]} ({cs[1]})")
    fb, fs = chosen["facility_big"], chosen["facility_small"]
    page("facility week view (admin)",
         (admin, f"/facilities/{fb[0]}?week={monday}"), (admin, f"/facilities/{fs[0]}?week={monday}"),
         f"facility {fb[0]} ({fb[1]} bookings this week) / {fs[0]} ({fs[1]})")
    mb, ms = chosen["manager_big"], chosen["manager_small"]
    page("approval queue (manager)", (mb[0], "/queue"), (ms[0], "/queue"),
         f"{mb[0]} ({mb[1]} pending) / {ms[0]} ({ms[1]})")
    page("approval queue (admin, all)", (admin, "/queue"), (ms[0], "/queue"), f"all / {ms[0]}")
    eb, es = chosen["enterprise_big"], chosen["enterprise_small"]
    for when in ("upcoming", "past"):
        page(f"enterprise bookings ({when})",
             (f"e{eb[0]:03d}.1@county.local", f"/bookings?when={when}"),
             (f"e{es[0]:03d}.1@county.local", f"/bookings?when={when}"),
             f"enterprise {eb[0]} ({eb[1]:,} bookings) / {es[0]} ({es[1]:,})")
    year = today.year - 1
    committee_small = f"committee{cs[0]:02d}.1@county.local"
    reports = [("report, this month", "period=month"),
               (f"report, year {year}", f"period=year&year={year}")]
    reports += [(f"report, {year} by {group}", f"period=year&year={year}&group={group}")
                for group in ("enterprise", "kind", "chain", "month")]
    for label, query in reports:
        page(label + " (admin)", (admin, f"/reports?{query}"), (committee_small, f"/reports?{query}"),
             f"all chains / chain {cs[0]}")
    for label, path in (("printable", "/reports/print"), ("CSV", "/reports.csv"), ("XLSX", "/reports.xlsx")):
        page(f"report {year} {label} (admin)", (admin, f"{path}?period=year&year={year}"),
             (committee_small, f"{path}?period=year&year={year}"), f"all chains / chain {cs[0]}")
    # A feed is rendered once per version, then served as kept (calendar_feed_bodies) until it changes.
    feed_urls = [f"/calendar/feeds/{feeds[size][1]}.ics" for size in ("big", "small")]
    page("facility iCalendar feed, new version", (None, feed_urls[0]), (None, feed_urls[1]),
         f"facility {fb[0]} / {fs[0]}; rendered each time", before=forget_feed_bodies)
    page("facility iCalendar feed, same version", (None, feed_urls[0]), (None, feed_urls[1]),
         f"facility {fb[0]} / {fs[0]}; full GET, answer kept")
    page("facility iCalendar feed, conditional GET", (None, feed_urls[0]), (None, feed_urls[1]),
         "If-None-Match: 304", headers={"If-None-Match": "*"})

    # Availability of up to 300 facilities for the coming week, one API request each.
    with bench.app.app_context():
        ids = db.session.scalars(text("SELECT id FROM facilities ORDER BY id LIMIT :n"), dict(n=availability)).all()
    start = datetime.combine(monday, datetime.min.time(), ZoneInfo("Asia/Shanghai"))
    window = f"start={start.isoformat()}&end={(start + timedelta(days=7)).isoformat()}".replace("+", "%2B")
    urls = [f"/api/v1/resources/{i}/availability?{window}" for i in ids]
    headers = {"Authorization": f"Bearer {token[1]}"}
    try:
        best, median, each_best, each_median, counts = bench.many(None, urls, headers)
        rows.append((f"availability, {len(ids)} facilities (API)", median, best, max(counts), min(counts),
                     f"total of {len(ids)} requests; queries: max / min per facility"))
        print_row(*rows[-1])
        rows.append(("availability, per facility", each_median, each_best, max(counts), min(counts),
                     "one request"))
    except Exception as error:  # noqa: BLE001
        rows.append(("availability (API)", None, None, None, None, f"failed: {error}"[:200]))
    print_row(*rows[-1])
    # The same facilities in one request (GET /api/v1/availability); the smaller scope asks for two.
    page(f"availability, {len(ids)} facilities (one API call)",
         (None, f"/api/v1/availability?{window}&resource_ids={','.join(map(str, ids))}"),
         (None, f"/api/v1/availability?{window}&resource_ids={','.join(map(str, ids[:2]))}"),
         f"one request for {len(ids)} facilities / for 2", headers=headers)
    return rows


def print_header() -> None:
    print(f"{'page':44}{'median ms':>10}{'best ms':>9}{'queries':>9}  {'<100 ms':8}{'fixed':14} scopes "
          f"(pages slower than {SLOW_S:.0f} s: best and median of 2 runs)", flush=True)


def print_row(label, median, best, queries, small, note) -> None:
    if median is None:
        print(f"{label:44}{'—':>10}{'—':>9}{'—':>9}  {'':8}{'':14} {note}", flush=True)
        return
    target = "yes" if median * 1000 < TARGET_MS else "NO"
    if label.endswith("(API)"):  # the total of one request per facility
        target = "(total)"
    fixed = "yes" if queries == small else f"NO ({queries}/{small})"
    print(f"{label:44}{median * 1000:10.1f}{best * 1000:9.1f}{queries:9d}  {target:8}{fixed:14} {note}", flush=True)


if __name__ == "__main__":
    main()
