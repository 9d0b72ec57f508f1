"""Booking requests per second through the real HTTP stack, against a floor measured in the same run.

    DATABASE_URL=sqlite:///$PWD/instance/bench.sqlite .venv/bin/python bench/http_load.py
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/python bench/http_load.py

gunicorn (sync workers, 2 × cores + 1 unless --workers) serves ``wsgi:app`` on a free loopback port and
wrk (bench/book.lua) POSTs JSON booking requests to /api/v1/bookings for --duration seconds, each for a
different slot: the slots are computed beforehand (every facility, days past the generated data and within
each facility's advance limit, inside its bookable hours, clear of closures, spaced by its buffer) and
checked with the app's own rules; each is sent with the bearer token of an enterprise that may book it (one
token per enterprise, so the per-token rate limit does not bind). Then the floor: bench/floor_app.py, one
SQL INSERT per request into a scratch table, behind the same gunicorn settings, same database, same
requests. Printed: requests/s of both and the ratio, 201/409/other counts, wrk's latency p50/p99 and the
RSS of every worker after its run.

Clean-up (also after a failure): both servers are stopped by PID, the bookings the run created (purpose
``BENCH_PURPOSE``) are deleted with their events, usage, charges and notifications, the tokens are deleted
and the scratch table is dropped.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, select, text  # noqa: E402

from booking import create_app  # noqa: E402
from booking.extensions import db  # noqa: E402

BENCH_PURPOSE = "bench/http_load.py load test"
TOKEN_NAME = "bench/http_load.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per server (default 10)")
    parser.add_argument("--connections", type=int, default=0, help="wrk connections (default 2 × workers)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--enterprises", type=int, default=100, help="enterprises (tokens) booking")
    parser.add_argument("--slots", type=int, default=30000, help="distinct slots prepared")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        parser.error("set DATABASE_URL to a database filled by `flask --app booking generate-load`")
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install -y wrk)")
    connections = args.connections or 2 * args.workers

    app = create_app()
    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    tokens: list[int] = []
    try:
        with app.app_context():
            from bench.pages import describe, sizes
            print(f"database   {describe(db.engine)}")
            print(f"dataset    {sizes()}")
            leftovers = delete_bench_bookings()
            if leftovers:
                print(f"           ({leftovers} bookings left by an earlier run deleted first)")
            tokens, slots = prepare(args.enterprises, args.slots)
            db.session.execute(text("DROP TABLE IF EXISTS bench_floor"))
            db.session.execute(text(
                "CREATE TABLE bench_floor (id " + ("SERIAL" if db.engine.dialect.name == "postgresql"
                                                   else "INTEGER") +
                " PRIMARY KEY, resource_id INTEGER, start_at VARCHAR(40), end_at VARCHAR(40), "
                "purpose VARCHAR(500), created_at VARCHAR(40))"))
            db.session.commit()
        (work / "slots.tsv").write_text("".join(f"{secret}\t{json.dumps(body)}\n" for secret, body in slots))
        print(f"load       wrk, {args.threads} threads, {connections} connections, {args.duration} s per server; "
              f"{len(slots):,} distinct slots on {len({b['resource_id'] for _s, b in slots})} facilities, "
              f"{len(tokens)} enterprise tokens")
        settings = " ".join(config_args()) or "default settings"
        print(f"server     gunicorn {gunicorn_version()} ({settings}), {args.workers} sync workers, "
              f"no recycling, loopback; "
              f"{os.cpu_count()} cores; python {platform.python_version()}\n")
        results = {}
        for name, target, chdir in (("booking app", "wsgi:app", ROOT),
                                    ("floor: one INSERT", "bench.floor_app:app", ROOT)):
            results[name] = run_server(target, chdir, args, connections, work)
    finally:
        with app.app_context():
            deleted = delete_bench_bookings()
            from booking.accounts.models import ApiToken
            if tokens:
                db.session.execute(delete(ApiToken).where(ApiToken.id.in_(tokens)))
            floor_rows = 0
            try:
                floor_rows = db.session.scalar(text("SELECT COUNT(*) FROM bench_floor"))
            except Exception:  # noqa: BLE001 - the table may not exist if setting up failed
                db.session.rollback()
            db.session.execute(text("DROP TABLE IF EXISTS bench_floor"))
            db.session.commit()
        shutil.rmtree(work, ignore_errors=True)
    print_results(results)
    print(f"\nclean-up   {deleted:,} bookings created by the run deleted, {floor_rows:,} floor rows dropped "
          f"with the scratch table, {len(tokens)} tokens deleted")


def gunicorn_version() -> str:
    import gunicorn
    return gunicorn.__version__


# --- preparing the slots -------------------------------------------------------------------

def prepare(enterprises: int, wanted: int) -> tuple[list[int], list[tuple[str, dict]]]:
    """Tokens of the busiest enterprises' first members, and distinct free slots each of them may book."""
    from booking.accounts.models import User
    from booking.accounts.services import create_api_token
    from booking.facilities.models import Closure, Facility
    from booking.facilities.rules import check_request
    from booking.timeutil import utcnow
    now = utcnow()
    rows = db.session.execute(text(
        "SELECT e.id, u.id FROM enterprises e JOIN memberships m ON m.enterprise_id = e.id "
        "JOIN users u ON u.id = m.user_id WHERE m.role = 'admin' AND e.active AND u.active "
        "ORDER BY e.id LIMIT :n"), dict(n=enterprises)).all()
    chains_of: dict[int, set[int]] = {}
    for chain_id, enterprise_id in db.session.execute(text("SELECT chain_id, enterprise_id FROM chain_enterprises")):
        chains_of.setdefault(enterprise_id, set()).add(chain_id)
    token_ids, secrets_by_chain = [], {}
    for enterprise_id, user_id in rows:
        token, secret = create_api_token(db.session.get(User, user_id), name=TOKEN_NAME, scopes="read write")
        db.session.flush()
        token_ids.append(token.id)
        for chain_id in chains_of.get(enterprise_id, ()):
            secrets_by_chain.setdefault(chain_id, []).append(secret)
    db.session.commit()

    last = db.session.scalar(text("SELECT MAX(end_at) FROM bookings WHERE purpose <> :p"), dict(p=BENCH_PURPOSE))
    if isinstance(last, str):
        last = datetime.fromisoformat(last)
    per_facility: list[list[tuple[str, dict]]] = []
    facilities = db.session.scalars(select(Facility).where(Facility.active).order_by(Facility.id)).all()
    for facility in facilities:
        secrets = secrets_by_chain.get(facility.chain_id)
        if not secrets:
            continue
        tz = facility.tz
        first_day = max(now.astimezone(tz).date(), last.date()) + timedelta(days=2)
        last_day = (now + timedelta(days=facility.max_advance_days)).astimezone(tz).date() - timedelta(days=1)
        closures = db.session.scalars(select(Closure).where(Closure.facility_id == facility.id)).all()
        length = max(facility.min_minutes, facility.slot_minutes)
        length = -(-length // facility.slot_minutes) * facility.slot_minutes
        step = length + -(-facility.buffer_minutes // facility.slot_minutes) * facility.slot_minutes
        found = []
        day = first_day
        while day <= last_day:
            for window in facility.hours:
                if window.weekday != day.weekday():
                    continue
                minute = -(-window.start_minute // facility.slot_minutes) * facility.slot_minutes
                while minute + length <= window.end_minute:
                    start = datetime.combine(day, datetime.min.time(), tz) + timedelta(minutes=minute)
                    end = start + timedelta(minutes=length)
                    minute += step
                    try:
                        check_request(facility, facility.hours, closures, start, end, now)
                    except Exception:  # noqa: BLE001 - a slot the rules refuse is simply not used
                        continue
                    secret = secrets[len(found) % len(secrets)]
                    found.append((secret, {"resource_id": facility.id, "start": start.isoformat(),
                                           "end": end.isoformat(), "purpose": BENCH_PURPOSE}))
            day += timedelta(days=1)
        per_facility.append(found)
    # Interleave the facilities, so that consecutive requests go to different facilities.
    slots: list[tuple[str, dict]] = []
    depth = 0
    while len(slots) < wanted and any(depth < len(f) for f in per_facility):
        slots.extend(f[depth] for f in per_facility if depth < len(f))
        depth += 1
    if not slots:
        sys.exit("no free slot found to book")
    return token_ids, slots[:wanted]


def delete_bench_bookings() -> int:
    """Delete the bookings of a bench run and every row that refers to them (no cascade is relied on)."""
    from booking.bookings.models import Booking
    ids = select(Booking.id).where(Booking.purpose == BENCH_PURPOSE).scalar_subquery()
    count = db.session.scalar(select(db.func.count()).where(Booking.purpose == BENCH_PURPOSE))
    if not count:
        return 0
    bookings = Booking.__table__
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is bookings and table is not bookings:
                if fk.parent.nullable and table.name not in ("booking_events", "usage_records", "charges"):
                    db.session.execute(table.update().where(fk.parent.in_(ids)).values({fk.parent.name: None}))
                else:
                    db.session.execute(table.delete().where(fk.parent.in_(ids)))
    db.session.execute(bookings.delete().where(bookings.c.purpose == BENCH_PURPOSE))
    db.session.commit()
    return count


# --- running a server under load -----------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_server(target: str, chdir: Path, args, connections: int, work: Path) -> dict:
    port = free_port()
    log = open(work / f"{target.split(':')[0]}.log", "w")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), *config_args(), "--workers", str(args.workers),
         "--bind", f"127.0.0.1:{port}", "--chdir", str(chdir), "--timeout", "120", "--max-requests", "0", target],
        cwd=chdir, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(port, server, args.workers)
        env = dict(os.environ, BENCH_SLOTS=str(work / "slots.tsv"), BENCH_THREADS=str(args.threads))
        started = time.perf_counter()
        run = subprocess.run(["wrk", "-t", str(args.threads), "-c", str(connections), "-d", f"{args.duration}s",
                              "--timeout", "30s", "-s", str(ROOT / "bench" / "book.lua"), f"http://127.0.0.1:{port}"],
                             env=env, capture_output=True, text=True, timeout=args.duration + 120)
        elapsed = time.perf_counter() - started
        line = next((x for x in run.stdout.splitlines() if x.startswith("BENCH ")), None)
        if line is None:
            raise RuntimeError(f"wrk printed no figures: {run.stdout[-500:]} {run.stderr[-500:]}")
        result = json.loads(line[len("BENCH "):])
        result["stderr"] = run.stderr.strip()
        result["rss"] = worker_rss(server.pid)
        result["elapsed"] = elapsed
        return result
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        errors = (work / f"{target.split(':')[0]}.log").read_text()
        if "Traceback" in errors:
            print(f"[{target}: server log has tracebacks; last lines]\n{errors[-1500:]}")


def config_args() -> list[str]:
    """The deployment's gunicorn.conf.py where there is one (both servers get it), else gunicorn's defaults.
    Workers are not recycled during the bench (--max-requests 0), so that their RSS is after the whole run."""
    config = ROOT / "gunicorn.conf.py"
    return ["--config", str(config)] if config.exists() else []


def wait_ready(port: int, server: subprocess.Popen, workers: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/nothing", timeout=5)
        except urllib.error.HTTPError:
            break  # any HTTP answer: a worker is up
        except OSError:
            time.sleep(0.2)
            continue
        break
    else:
        raise RuntimeError("gunicorn did not answer within 60 s")
    while len(children(server.pid)) < workers and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # let every worker finish importing the app


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def worker_rss(pid: int) -> list[int]:
    """VmRSS of every worker, in KiB."""
    sizes = []
    for child in children(pid):
        try:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]))
        except OSError:
            pass
    return sizes


def print_results(results: dict) -> None:
    print(f"{'':20}{'req/s':>9}{'201':>8}{'409':>7}{'other':>7}{'p50 ms':>9}{'p99 ms':>9}  worker RSS MiB")
    rates = {}
    for name, r in results.items():
        seconds = r["duration_us"] / 1e6
        rates[name] = r["requests"] / seconds
        rss = ", ".join(f"{kib / 1024:.0f}" for kib in sorted(r["rss"]))
        print(f"{name:20}{rates[name]:9.1f}{r['c201']:8d}{r['c409']:7d}{r['other']:7d}{r['p50'] / 1000:9.1f}"
              f"{r['p99'] / 1000:9.1f}  {rss}")
        socket_errors = {k: r[k] for k in ("connect", "read", "write", "timeout") if r[k]}
        if socket_errors or r["wrapped"]:
            print(f"{'':20}socket errors {socket_errors or 'none'}; slot list wrapped {r['wrapped']} times")
        if r["stderr"]:
            print("\n".join(f"{'':20}{line[:160]}" for line in r["stderr"].splitlines()[:3]))
    app, floor = rates.get("booking app"), rates.get("floor: one INSERT")
    if app and floor:
        ratio = app / floor
        verdict = "met" if ratio >= 0.5 else "NOT met"
        print(f"\nratio      booking app / floor = {ratio:.0%} (target ≥ 50 %: {verdict}); "
              f"only 201 answers: {results['booking app']['c201'] / (results['booking app']['duration_us'] / 1e6):.1f}"
              f" bookings/s")


if __name__ == "__main__":
    main()
