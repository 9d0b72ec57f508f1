"""The query plans of the hot pages' SQL on a county-scale database: a check, not a timing.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/explain.py
    DATABASE_URL=sqlite:///$PWD/instance/bench.sqlite .venv/bin/python bench/explain.py

Each hot page is fetched once through Flask's test client (users and objects chosen as bench/pages.py chooses
them) while every SQL statement and its parameters are recorded (``before_cursor_execute``). Every distinct
SELECT of a page that touches a large table is then explained on a raw DBAPI connection with the same
parameters, inside a transaction that is rolled back: on PostgreSQL ``EXPLAIN (ANALYZE, BUFFERS, FORMAT
JSON)`` (execution time, rows read from large tables, node types, indexes), on SQLite ``EXPLAIN QUERY PLAN``
and one timed execution (SQLite does not say how many rows it read).

A statement is flagged when it scans a large table (a Seq Scan of 10,000 rows or more: a LIMIT may stop one
early; SQLite: SCAN without an index), reads more than --max-rows rows of large tables or runs longer than
--max-ms (a report, which sums a period's bookings, has the larger budget in BUDGETS). The exit status is
1 when any statement is flagged.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from database import describe  # noqa: E402 - bench/database.py
from pages import Bench, Counter, choose, cleanup, setup  # noqa: E402 - bench/pages.py (adds the repo to the path)
from sqlalchemy import event, text  # noqa: E402

from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402

# The tables that grow with the bookings (the others hold the county's configuration: a few thousand rows).
LARGE = frozenset((
    "bookings", "usage_records", "usage_corrections", "charges", "booking_events", "audit_entries",
    "notifications", "notification_failures", "report_months", "report_month_pairs", "waitlist_entries",
    "series", "idempotency_keys",
))
SMALL = 1_000  # a large table holding fewer rows in this database: a Seq Scan of it is what the planner should do
EARLY = 10_000  # a Seq Scan (under a LIMIT) that read fewer rows stopped early: not flagged, shown in the plan
# A report sums the period's bookings of the whole county (about 29,000 a month here, and the month before
# for the comparison): its statements may read those, through an index, but never the whole table.
BUDGETS = {"monthly report": (150_000, 500.0)}
SCANS = ("Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Tid Scan", "Tid Range Scan")


class Recorder:
    """The SQL statements (and their parameters) the engine runs while ``page`` is set."""

    def __init__(self, engine):
        self.page: str | None = None
        self.seen: list[tuple[str, str, object]] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, parameters, _context, executemany):
        if self.page and not executemany and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            self.seen.append((self.page, statement, parameters))


def hot_pages(chosen: dict, feeds: dict, token) -> list[tuple[str, str | None, str, dict]]:
    """(label, user, url, headers) of the hot pages, for the big scope of each (see bench/pages.py)."""
    today = chosen["today"]
    monday = today - timedelta(days=today.weekday())
    admin = "admin@county.local"
    chain, facility = chosen["chain_big"][0], chosen["facility_big"][0]
    manager, enterprise = chosen["manager_big"][0], chosen["enterprise_big"][0]
    start = datetime.combine(monday, datetime.min.time(), ZoneInfo("Asia/Shanghai"))
    window = f"start={start.isoformat()}&end={(start + timedelta(days=7)).isoformat()}".replace("+", "%2B")
    return [
        ("chain day", f"committee{chain:02d}.1@county.local", f"/chains/{chain}/day?date={today}", {}),
        ("facility week", admin, f"/facilities/{facility}?week={monday}", {}),
        ("queue (manager)", manager, "/queue", {}),
        ("queue (admin)", admin, "/queue", {}),
        ("bookings upcoming", f"e{enterprise:03d}.1@county.local", "/bookings?when=upcoming", {}),
        ("bookings past", f"e{enterprise:03d}.1@county.local", "/bookings?when=past", {}),
        ("iCalendar feed", None, f"/calendar/feeds/{feeds['big'][1]}.ics", {}),
        ("monthly report", admin, "/reports?period=month", {}),
        ("availability (API)", None, f"/api/v1/resources/{facility}/availability?{window}",
         {"Authorization": f"Bearer {token[1]}"}),
    ]


def capture(bench: Bench, recorder: Recorder, pages) -> list[tuple[str, str, object]]:
    """Fetches each page once (signed in beforehand) and returns its distinct large-table SELECTs."""
    for label, user, url, headers in pages:
        if user:
            bench.client(user)  # the sign-in's own statements are not the page's
        recorder.page = label
        try:
            bench.fetch(user, url, headers)
        finally:
            recorder.page = None
    distinct, seen = [], set()
    for page, statement, parameters in recorder.seen:
        if (page, statement) not in seen and tables(statement) & LARGE:
            seen.add((page, statement))
            distinct.append((page, statement, parameters))
    return distinct


def tables(statement: str) -> set[str]:
    return {name.strip('"').lower() for name in re.findall(r'\b(?:FROM|JOIN)\s+("?\w+"?)', statement, re.I)}


def short(statement: str) -> str:
    """First table and the columns the WHERE clauses test: ``bookings: facility_id, start_at, status``."""
    statement = " ".join(statement.split())
    first = re.search(r'\bFROM\s+"?(\w+)', statement, re.I)
    where = statement.upper().find(" WHERE ")
    columns = re.findall(r'\b\w+\."?(\w+)"?\s*(?:=|<>|!=|<=|>=|<|>|IN\b|IS\b|LIKE\b|BETWEEN\b)',
                         statement[where:] if where >= 0 else "", re.I)
    return f"{first.group(1) if first else '?'}: {', '.join(dict.fromkeys(columns)) or '(no WHERE)'}"


def walk(node: dict):
    yield node
    for child in node.get("Plans", ()):
        yield from walk(child)


def explain_postgresql(cursor, statement: str, parameters) -> dict:
    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
    plan = cursor.fetchone()[0]
    plan = (json.loads(plan) if isinstance(plan, str) else plan)[0]
    rows, full_scans, nodes, indexes = 0, [], [], []
    for node in walk(plan["Plan"]):
        kind = node["Node Type"]
        if kind not in nodes:
            nodes.append(kind)
        if node.get("Index Name") and node["Index Name"] not in indexes:
            indexes.append(node["Index Name"])
        relation = node.get("Relation Name")
        if kind in SCANS and relation in LARGE:
            loops = node.get("Actual Loops", 1)
            read = round((node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
                          + node.get("Rows Removed by Index Recheck", 0)) * loops)
            rows += read
            if kind == "Seq Scan" and read >= EARLY:
                full_scans.append(relation)
            elif kind == "Seq Scan":  # stopped early by a LIMIT: the planner expected the rows to be dense
                nodes.append(f"Seq Scan {relation} stopped after {read:,} rows")
    return dict(ms=plan["Execution Time"], rows=rows, full_scans=full_scans, nodes=nodes, indexes=indexes)


def explain_sqlite(cursor, statement: str, parameters) -> dict:
    cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
    details = [row[3] for row in cursor.fetchall()]
    started = time.perf_counter()
    cursor.execute(statement, parameters)
    cursor.fetchall()
    ms = (time.perf_counter() - started) * 1000
    full_scans, nodes, indexes = [], [], []
    for detail in details:
        match = re.match(r"(SCAN|SEARCH)\s+(?:TABLE\s+)?(\w+)", detail)
        if match:
            nodes.append(f"{match.group(1)} {match.group(2)}")
            if match.group(1) == "SCAN" and match.group(2) in LARGE and "INDEX" not in detail:
                full_scans.append(match.group(2))
        elif detail.split(" ")[0] not in nodes:
            nodes.append(detail.split(" ")[0])
        index = re.search(r"USING (?:COVERING |PRIMARY KEY)?\s*(?:INDEX\s+(\w+))?", detail)
        if index and index.group(1) and index.group(1) not in indexes:
            indexes.append(index.group(1))
    return dict(ms=ms, rows=None, full_scans=full_scans, nodes=nodes, indexes=indexes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-rows", type=int, default=20_000, help="rows of large tables a statement may read")
    parser.add_argument("--max-ms", type=float, default=50.0, help="execution time a statement may take")
    parser.add_argument("--sql", action="store_true", help="print the full SQL of flagged statements")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        parser.error("set DATABASE_URL to a database filled by `flask --app booking generate-load`")

    os.environ.setdefault("FLASK_RATELIMIT_ENABLED", "false")
    app = create_app()
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        print(f"database   {describe(db.engine)}")
        recorder, bench = Recorder(db.engine), Bench(app, Counter(db.engine), runs=1)
        chosen = choose()
        token, feeds = setup(chosen)
        db.session.commit()
        pages = hot_pages(chosen, feeds, token)
    try:
        statements = capture(bench, recorder, pages)
        with app.app_context():
            small = small_tables()
            results = explain_all(statements)
    finally:
        with app.app_context():
            cleanup(token, feeds)

    flagged = report(results, small, args.max_rows, args.max_ms, args.sql)
    if small:
        print(f"\nnearly empty here (a Seq Scan of them is not flagged): {', '.join(sorted(small))}")
    print(f"\n{len(results)} statements, {flagged} flagged (Seq Scan on a large table, more than "
          f"{args.max_rows:,} rows read or more than {args.max_ms:.0f} ms; "
          + "; ".join(f"{page}: {rows:,} rows, {ms:.0f} ms" for page, (rows, ms) in BUDGETS.items()) + ")")
    sys.exit(1 if flagged else 0)


def small_tables() -> set[str]:
    """The large tables that hold fewer than SMALL rows in this database: their plans say nothing here."""
    found = db.session.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars() \
        if db.engine.dialect.name == "sqlite" else \
        db.session.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")).scalars()
    return {name for name in set(found) & LARGE
            if db.session.scalar(text(f"SELECT COUNT(*) FROM (SELECT 1 FROM {name} LIMIT {SMALL}) AS t")) < SMALL}


def explain_all(statements) -> list[tuple[str, str, dict]]:
    """Each statement's plan, on a raw DBAPI connection, in one transaction rolled back at the end."""
    postgresql = db.engine.dialect.name == "postgresql"
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        if postgresql:
            cursor.execute("SET LOCAL statement_timeout = '60s'")
        results = []
        for page, statement, parameters in statements:
            explain = explain_postgresql if postgresql else explain_sqlite
            results.append((page, statement, explain(cursor, statement, parameters)))
        return results
    finally:
        connection.rollback()
        connection.close()


def report(results, small: set[str], max_rows: int, max_ms: float, full_sql: bool) -> int:
    print(f"\n{'page':20}{'statement (first table: WHERE columns)':52}{'ms':>8}{'rows read':>11}  "
          f"{'flags':38}plan (node types; indexes)")
    flagged = 0
    for page, statement, plan in results:
        flags = [f"Seq Scan {name}" for name in dict.fromkeys(plan["full_scans"]) if name not in small]
        rows_allowed, ms_allowed = BUDGETS.get(page, (max_rows, max_ms))
        if plan["rows"] is not None and plan["rows"] > rows_allowed:
            flags.append(f"> {rows_allowed // 1000}k rows")
        if plan["ms"] > ms_allowed:
            flags.append(f"> {ms_allowed:.0f} ms")
        flagged += bool(flags)
        rows = "—" if plan["rows"] is None else f"{plan['rows']:,}"
        nodes = ", ".join(plan["nodes"]) + ("; " + ", ".join(plan["indexes"]) if plan["indexes"] else "")
        print(f"{page:20}{short(statement)[:50]:52}{plan['ms']:8.1f}{rows:>11}  {', '.join(flags) or 'ok':38}{nodes}")
        if flags and full_sql:
            print("    " + re.sub(r"(%\(\w+?)_\d+\)s::\w+(, %\(\1_\d+\)s::\w+)+", r"\1_...)s",
                              " ".join(statement.split())))
    return flagged


if __name__ == "__main__":
    main()
