"""A county-scale dataset for benchmarks: ``flask --app booking generate-load --bookings 1500000``.

Ten chains, 500 enterprises, 300 facilities and five years of history ending four weeks from
today, written straight into an empty, migrated database: plain executemany of Core inserts on
SQLite, COPY on PostgreSQL, a few large transactions, ANALYZE at the end. Booking events are not
written (the reports do not read them); every other row is what the workflow would have left
behind, charges included (computed by ``billing.charges.use_amounts``, as the check-out does).
The database's own guards stay in force: SQLite's overlap triggers fire on every insert, and
PostgreSQL's foreign keys are checked once, at the end of the load's transaction.

Each facility's bookable hours are first tiled with candidate slots (1–4 h on its slot grid,
changeover buffer kept, closures avoided). A weighted draw keeps exactly as many as are wanted:
more in later years (the platform grew), at popular hours and at popular facilities. Kept slots
never overlap, so approved, checked-in, completed and no-show bookings never do; a few more
requests (rejected, withdrawn or still competing) share a slot with another booking.
"""
from __future__ import annotations

import random
import time
from array import array
from bisect import bisect, bisect_left
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from flask_babel import gettext
from sqlalchemy import Numeric, bindparam, func, insert, inspect, select, text

from ..accounts.models import User
from ..billing.charges import fee_amount, use_amounts
from ..billing.models import NO_SHOW_FEE, USE, Charge, EnterpriseBaseline
from ..bookings.models import (
    APPROVED,
    CANCELLED,
    CHECKED_IN,
    COMPLETED,
    NO_SHOW,
    PENDING,
    REJECTED,
    Booking,
)
from ..bookings.reasons import LOST_TO
from ..db import UTCDateTime
from ..extensions import db
from ..facilities.models import BookableHours, Closure, Facility, facility_managers
from ..organisation.models import (
    Chain,
    Enterprise,
    Membership,
    chain_committee,
    chain_enterprises,
)
from ..organisation.uscc import make_uscc
from ..timeutil import utcnow, zone
from ..usage.models import UsageRecord
from . import data
from .county_data import (
    BRANDS_1,
    BRANDS_2,
    CHAINS,
    GIVEN,
    KIND_NAMES,
    KIND_PLAN,
    MAINTENANCE_REASONS,
    PARKS,
    PRODUCTS,
    PURPOSES,
    SPRING_FESTIVAL,
    SURNAMES,
    TIME_OF_DAY,
    TRADES,
)

DAY = 1440
LONGEST = 240  # minutes: the longest booking generated
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DAY = date(1970, 1, 1)
ZONE = "Asia/Shanghai"
SHADOW_SHARE = 0.055    # requests that share a slot with another booking
MAX_DENSITY = 0.9       # at most this share of the candidate slots is kept
BATCH = 20_000          # bookings per executemany / COPY round
CHUNK = 250_000         # bookings per progress line, and per transaction on SQLite


class CountyError(Exception):
    """The county cannot be generated here; the message says why."""


def generate(bookings: int = 1_500_000, years: int = 5, seed: int = 1, now: datetime | None = None,
             echo=print) -> dict:
    """Fill the empty, migrated database with a county and commit it. Returns what was written."""
    started = time.perf_counter()
    county = County(random.Random(seed), (now or utcnow()).replace(second=0, microsecond=0), years)
    with db.engine.connect() as conn:
        writer = Writer(conn)
        with conn.begin():
            refuse_unless_empty(conn)
            county.organise()
            county.write_organisation(writer)
        echo(f"organisation: {len(county.chains)} chains, {len(county.enterprises)} enterprises, "
             f"{len(county.users)} users, {len(county.facilities)} facilities, "
             f"{sum(len(f.closures) for f in county.facilities)} closures ({_since(started)})")
        slots, shared = county.plan(bookings)
        echo(f"planned {bookings:,} bookings in {len(slots):,} slots, {county.date_range} ({_since(started)})")
        counts = county.write_bookings(conn, writer, slots, shared, echo, started)
        echo(f"written ({_since(started)}); analysing")
        if writer.postgresql:
            with conn.begin():
                _reset_sequences(conn)
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            with conn.begin():
                conn.exec_driver_sql("ANALYZE")
    if not writer.postgresql:
        _checkpoint()
    summary = {"chains": len(county.chains), "enterprises": len(county.enterprises), "users": len(county.users),
               "facilities": len(county.facilities), **counts}
    echo(f"done in {_since(started)}: " + ", ".join(f"{n:,} {what}" for what, n in summary.items()))
    return summary


def refuse_unless_empty(conn) -> None:
    tables = inspect(conn)
    if not all(tables.has_table(model.__tablename__) for model in WRITTEN):
        raise CountyError("The database is not migrated: run `flask --app booking db upgrade` first.")
    for model in (User, Chain, Enterprise, Facility, Booking):
        if conn.scalar(select(func.count()).select_from(model)):
            raise CountyError(f"The database already holds data (table {model.__tablename__}): generate-load "
                              "only fills an empty, migrated database.")


WRITTEN = (Chain, Enterprise, User, Membership, Facility, BookableHours, Closure, EnterpriseBaseline, Booking,
           UsageRecord, Charge)


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"


def _reset_sequences(conn) -> None:
    """Ids were given explicitly: move PostgreSQL's sequences past them."""
    for model in WRITTEN:
        if model in (UsageRecord, Charge):  # their ids came from the sequence
            continue
        table = model.__tablename__
        conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)")


def _checkpoint() -> None:
    """Fold SQLite's write-ahead log back into the database file (outside any transaction)."""
    raw = db.engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


class Writer:
    """Rows into a table as fast as the database takes them: COPY on PostgreSQL; on SQLite, one plain
    executemany of the table's Core insert, with values stored as SQLAlchemy stores them (converted
    here: the type layer's per-value processing would cost more than SQLite's own work)."""

    def __init__(self, conn):
        self.conn = conn
        self.postgresql = conn.dialect.name == "postgresql"
        self.statements: dict[tuple, tuple] = {}
        # What a timestamp (minutes since the epoch) is written as: COPY takes aware datetimes.
        self.stamp = _at if self.postgresql else _sqlite_stamp
        if not self.postgresql:
            conn.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MiB: the indexes being filled stay in memory
            conn.commit()
            stored = _bind_processor(UTCDateTime(), conn.dialect)
            if any(_sqlite_stamp(m) != stored(_at(m)) for m in (0, 27_000_000, 29_000_123, 29_001_439)):
                raise AssertionError("SQLite timestamps are no longer stored as SQLAlchemy stores them")

    @contextmanager
    def foreign_keys_checked_at_the_end(self, tables: tuple[str, ...]):
        """PostgreSQL checks foreign keys row by row (a trigger per row and key), which triples the
        cost of COPY. Dropped and added back inside the caller's transaction, each is checked in one
        pass at the end, and no other session ever sees the tables without them. SQLite: as is."""
        if not self.postgresql:
            yield
            return
        keys = self.conn.execute(text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(CAST(:tables AS regclass[])) ORDER BY conname"),
            {"tables": list(tables)}).all()
        for table, name, _definition in keys:
            self.conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        yield
        for table, name, definition in keys:
            self.conn.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def write(self, table, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.postgresql:
            with self.conn.connection.dbapi_connection.cursor() as cursor:
                with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            return
        key = (table.name, columns)
        if key not in self.statements:
            self.statements[key] = self.prepare(table, columns, rows[0])
        sql, convert = self.statements[key]
        self.conn.exec_driver_sql(sql, [convert(row) for row in rows])

    def prepare(self, table, columns: tuple[str, ...], sample: tuple):
        """The insert's SQL and a row converter, checked against SQLAlchemy's own bind processing."""
        statement = insert(table).values({name: bindparam(name) for name in columns})
        compiled = statement.compile(dialect=self.conn.dialect)
        sql = compiled.string
        # The table's column order; columns the generator leaves out get their scalar Python default.
        defaults = {}
        for name in compiled.positiontup:
            if name not in columns:
                process = _bind_processor(table.c[name].type, self.conn.dialect)
                value = table.c[name].default.arg
                defaults[name] = value if process is None else process(value)
        order = [columns.index(name) if name in columns else name for name in compiled.positiontup]
        kinds = [_storage(table.c[name].type) for name in columns]
        stamps = [i for i, kind in enumerate(kinds) if kind == "datetime"]
        numbers = [i for i, kind in enumerate(kinds) if kind == "number"]
        to_text = _sqlite_datetime

        def convert(row: tuple) -> tuple:
            row = list(row)
            for i in stamps:
                if row[i].__class__ is datetime:  # not yet written as text by ``stamp``
                    row[i] = to_text(row[i])
            for i in numbers:
                if row[i] is not None:
                    row[i] = float(row[i])
            return tuple([row[i] if i.__class__ is int else defaults[i] for i in order])

        processors = [_bind_processor(table.c[name].type, self.conn.dialect) for name in columns]
        expected = tuple(value if p is None or value is None or isinstance(value, str) else p(value)
                         for p, value in zip(processors, sample))  # text: written by ``stamp``, checked above
        expected = tuple(expected[i] if i.__class__ is int else defaults[i] for i in order)
        if convert(sample) != expected:
            raise AssertionError(f"{table.name}: {convert(sample)} is not stored as {expected}")
        return sql, convert


def _bind_processor(type_, dialect):
    return type_.dialect_impl(dialect).bind_processor(dialect)


def _storage(type_) -> str | None:
    if isinstance(type_, UTCDateTime):
        return "datetime"
    return "number" if isinstance(type_, Numeric) else None


def _sqlite_stamp(minute: int) -> str:
    """``_sqlite_datetime(_at(minute))``, several times faster: millions are written."""
    day, minute = divmod(minute, DAY)
    stamp = _DATES.get(day)
    if stamp is None:
        stamp = _DATES[day] = (EPOCH_DAY + timedelta(days=day)).isoformat()
    return stamp + _TIMES[minute]


_DATES: dict[int, str] = {}
_TIMES = [f" {m // 60:02d}:{m % 60:02d}:00.000000" for m in range(DAY)]


def _sqlite_datetime(value: datetime) -> str:
    """SQLAlchemy's SQLite storage of an aware datetime (naive UTC, microseconds)."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _minute(value: datetime) -> int:
    """Minutes since the epoch (UTC): the generator's clock."""
    return int((value - EPOCH).total_seconds()) // 60


def _at(minute: int) -> datetime:
    return EPOCH + timedelta(minutes=minute)


class Place:
    """A facility while generating: the row's values (``use_amounts`` reads them like a Facility's),
    its closures, who books it and how popular it is."""

    def __init__(self, **values):
        self.__dict__.update(values)
        self.closures: list[tuple[int, int, str, str]] = []


FACILITY_FIELDS = (
    "id", "chain_id", "name", "name_en", "kind", "host_enterprise_id", "park", "location", "description",
    "capacity", "throughput_per_hour", "output_unit", "requires_approval", "slot_minutes", "min_minutes",
    "max_minutes", "min_notice_minutes", "max_advance_days", "buffer_minutes", "no_show_grace_minutes",
    "self_check_in", "rate_unit", "shared_rate", "reference_rate", "billing_basis", "no_show_fee",
    "late_cancel_fee")


class County:
    """Plans the county and its bookings with one seeded random generator."""

    def __init__(self, rng: random.Random, now: datetime, years: int):
        self.rng, self.now, self.years = rng, now, years
        # The system's own words (in the default language), so that every reader sees them in theirs.
        self.lost_to = gettext(LOST_TO)
        self.draw = rng.random
        self.now_minute = _minute(now)
        self.tz = zone(ZONE)
        today = now.astimezone(self.tz).date()
        self.first, self.last = _years_before(today, years), today + timedelta(days=28)
        self.date_range = f"{self.first} to {self.last}"
        self.born = datetime.combine(self.first - timedelta(days=60), datetime.min.time(), UTC)
        self.chains: list[dict] = []
        self.enterprises: list[dict] = []
        self.users: list[dict] = []
        self.facilities: list[Place] = []
        self.amounts: dict = {}  # use_amounts by (facility, booked, actual, units): most repeat

    # --- organisation -----------------------------------------------------------------------

    def organise(self) -> None:
        rng = self.rng
        self.chains = [dict(id=n, name=c["name"], name_en=c["name_en"], description=c["description"], timezone=ZONE,
                            show_booker_names=rng.random() < 0.4, created_at=self.born)
                       for n, c in enumerate(CHAINS, 1)]
        self.members: list[list[int]] = [[] for _ in CHAINS]
        names = set()
        for n in range(1, 501):
            home = rng.choices(range(len(CHAINS)), [c["weight"] for c in CHAINS])[0]
            chains = [home] + ([rng.choice([c for c in range(len(CHAINS)) if c != home])] if rng.random() < 0.3 else [])
            spec = CHAINS[home]
            trade = rng.choice(spec["trades"])
            while True:
                (b1, p1), (b2, p2) = rng.choice(BRANDS_1), rng.choice(BRANDS_2)
                name = f"{spec['place'][0]}{b1}{b2}{TRADES[trade][0]}有限公司"
                if name not in names:
                    names.add(name)
                    break
            for c in chains:
                self.members[c].append(n)
            self.enterprises.append(dict(
                id=n, name=name, name_en=f"{spec['place'][1]} {p1}{p2} {TRADES[trade][1]} Co., Ltd.",
                uscc=make_uscc(n, spec["region"]), contact_name=self.person(),
                contact_phone=f"1{rng.randint(3, 9)}{rng.randint(0, 999_999_999):09d}",
                contact_email=f"e{n:03d}.1@county.local", active=True, created_at=self.born,
                chains=chains, trade=trade, weight=rng.paretovariate(1.3), staff=[]))
        password_hash = _password_hash()

        def user(email: str, name: str, **extra) -> int:
            self.users.append({"id": len(self.users) + 1, "email": email, "name": name, "password_hash": password_hash,
                               "is_admin": False, "active": True, "locale": None, "session_version": 1,
                               "created_at": self.born, **extra})
            return len(self.users)

        user("admin@county.local", "系统管理员", is_admin=True)
        self.committee = [(c["id"], user(f"committee{c['id']:02d}.{k}@county.local", self.person()))
                          for c in self.chains for k in (1, 2)]
        for e in self.enterprises:
            for k in range(1, rng.randint(2, 5) + 1):
                e["staff"].append(user(f"e{e['id']:03d}.{k}@county.local",
                                       e["contact_name"] if k == 1 else self.person(),
                                       enterprise_id=e["id"], role="admin" if k == 1 else "member"))
        managers: dict[int, list[int]] = {c["id"]: [] for c in self.chains}
        kinds = [kind for kind, plan in KIND_PLAN.items() for _ in range(plan["count"])]
        rng.shuffle(kinds)
        for n, kind in enumerate(kinds, 1):
            place = self.facility(n, kind)
            staff = managers[place.chain_id]
            if len(staff) < 1 + sum(f.chain_id == place.chain_id for f in self.facilities) // 6:
                staff.append(user(f"manager{place.chain_id:02d}.{len(staff) + 1}@county.local", self.person()))
            place.managers = rng.sample(staff, min(2, len(staff)))
            self.facilities.append(place)
            self.close(place)

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def facility(self, n: int, kind: str) -> Place:
        rng, plan = self.rng, KIND_PLAN[kind]
        bias = plan.get("bias", {})
        chain = rng.choices(range(len(CHAINS)), [c["weight"] * bias.get(c["short"], 1) for c in CHAINS])[0]
        spec = CHAINS[chain]
        number = sum(f.chain_id == chain + 1 and f.kind == kind for f in self.facilities) + 1
        members = self.members[chain]
        host = rng.choice(members) if rng.random() < plan["hosted"] else None
        output = plan["output"]
        if kind == "production_line":
            output = "pairs" if "shoes" in spec["trades"] else "pieces"
        elif kind == "lab":
            output = rng.choice(("pieces", "samples"))
        throughput = Decimal(rng.randrange(*plan["throughput"], 10)) if output in ("pairs", "pieces") else None
        per_unit = throughput is not None and rng.random() < 0.35
        reference = (Decimal(rng.randrange(*plan["unit_reference"])) / 100 if per_unit
                     else Decimal(rng.randrange(*plan["reference"], 10)))
        shared = (reference * Decimal(rng.uniform(0.42, 0.58))).quantize(Decimal("0.01") if per_unit else Decimal(1))
        no_show_fee = Decimal(rng.choice((0, 300, 500))) if per_unit else shared * plan["no_show_hours"]
        hours = rng.choices([h for h, _w in plan["hours"]], [w for _h, w in plan["hours"]])[0]
        pool = [e for e in members if e != host] or members
        place = Place(
            id=n, chain_id=chain + 1, kind=kind, host_enterprise_id=host,
            name=f"{spec['short']}{KIND_NAMES[kind][0]} {number:02d}",
            name_en=f"{spec['short_en']} {KIND_NAMES[kind][1]} {number:02d}",
            park=spec["place"][0] + rng.choice(PARKS), location=f"{rng.randint(1, 12)}号楼{rng.randint(1, 5)}层",
            description=KIND_NAMES[kind][2], capacity=rng.choice(plan["capacity"]), throughput_per_hour=throughput,
            output_unit=output, requires_approval=rng.random() < plan["approval"], slot_minutes=plan["slot"],
            min_minutes=60, max_minutes=plan["max"], min_notice_minutes=plan["notice"],
            max_advance_days=rng.choice((30, 60, 90)), buffer_minutes=rng.choice(plan["buffer"]),
            no_show_grace_minutes=rng.choice((15, 15, 30)), self_check_in=rng.random() < 0.3,
            rate_unit="unit" if per_unit else "hour", shared_rate=shared, reference_rate=reference,
            billing_basis=rng.choices(("booked", "actual", "max"), plan["basis"])[0],
            no_show_fee=no_show_fee.quantize(Decimal("0.01")), late_cancel_fee=Decimal("0.00"), hours=hours,
            popularity=rng.uniform(0.35, 1.0), tod=TIME_OF_DAY[plan["tod"]], pool=pool,
            pool_cum=list(accumulate(self.enterprises[e - 1]["weight"] * rng.uniform(0.2, 1.8) for e in pool)),
            purposes=[p.format(p=product) for p in PURPOSES[kind]
                      for trade in sorted({self.enterprises[e - 1]["trade"] for e in pool})
                      for product in PRODUCTS[trade]])
        place.durations = list(range(60, LONGEST + 1, place.slot_minutes))
        place.duration_cum = list(accumulate((60 / d) ** 1.2 for d in place.durations))  # short ones are commoner
        return place

    def close(self, f: Place) -> None:
        """The Spring Festival week every year, and a few maintenance days."""
        rng = self.rng
        spans = [(new_year - timedelta(days=1), 8, "closure", "春节放假") for new_year in SPRING_FESTIVAL
                 if self.first <= new_year <= self.last]
        for _ in range(rng.randint(2, 4)):
            day = self.first + timedelta(days=rng.randrange((self.last - self.first).days))
            spans.append((day, rng.choice((1, 1, 2, 3)), "maintenance", rng.choice(MAINTENANCE_REASONS)))
        for day, days, kind, reason in sorted(spans):
            start = datetime.combine(day, datetime.min.time(), self.tz)
            end = datetime.combine(day + timedelta(days=days), datetime.min.time(), self.tz)
            f.closures.append((_minute(start.astimezone(UTC)), _minute(end.astimezone(UTC)), kind, reason))

    def write_organisation(self, writer: Writer) -> None:
        def rows(items: list[dict], *columns: str) -> tuple:
            return columns, [tuple(item[c] for c in columns) for item in items]

        writer.write(Chain.__table__, *rows(self.chains, "id", "name", "name_en", "description", "timezone",
                                            "show_booker_names", "created_at"))
        writer.write(Enterprise.__table__, *rows(self.enterprises, "id", "name", "name_en", "uscc", "contact_name",
                                                 "contact_phone", "contact_email", "active", "created_at"))
        writer.write(chain_enterprises, ("chain_id", "enterprise_id"),
                     [(c + 1, e["id"]) for e in self.enterprises for c in e["chains"]])
        writer.write(User.__table__, *rows(self.users, "id", "email", "name", "password_hash", "is_admin", "active",
                                           "locale", "session_version", "created_at"))
        writer.write(chain_committee, ("chain_id", "user_id"), self.committee)
        staff = [u for u in self.users if "enterprise_id" in u]
        writer.write(Membership.__table__, ("id", "user_id", "enterprise_id", "role"),
                     [(n, u["id"], u["enterprise_id"], u["role"]) for n, u in enumerate(staff, 1)])
        writer.write(Facility.__table__, (*FACILITY_FIELDS, "timezone", "active", "currency", "created_at"),
                     [(*(getattr(f, c) for c in FACILITY_FIELDS), None, True, "CNY", self.born)
                      for f in self.facilities])
        windows = [(f.id, *window) for f in self.facilities for window in f.hours]
        writer.write(BookableHours.__table__, ("id", "facility_id", "weekday", "start_minute", "end_minute"),
                     [(n, *w) for n, w in enumerate(windows, 1)])
        writer.write(facility_managers, ("facility_id", "user_id"),
                     [(f.id, m) for f in self.facilities for m in f.managers])
        closures = [(f, *c) for f in self.facilities for c in f.closures]
        writer.write(Closure.__table__,
                     ("id", "facility_id", "start_at", "end_at", "kind", "reason", "created_by_id", "created_at"),
                     [(n, f.id, _at(s), _at(e), kind, reason, f.managers[0], min(_at(s) - timedelta(days=30), self.now))
                      for n, (f, s, e, kind, reason) in enumerate(closures, 1)])
        writer.write(EnterpriseBaseline.__table__,
                     ("id", "enterprise_id", "kind", "output_per_hour", "output_unit", "updated_at"), self.baselines())

    def baselines(self) -> list[tuple]:
        """Each enterprise's stand-alone output per hour on its own (older) equipment of a kind."""
        found = {}
        for f in self.facilities:
            if f.throughput_per_hour is not None:
                for e in f.pool:
                    found.setdefault((e, f.kind), (f.throughput_per_hour, f.output_unit))
        return [(n, e, kind, (throughput * Decimal(self.rng.uniform(0.45, 0.75))).quantize(Decimal("0.01")), unit,
                 self.born) for n, ((e, kind), (throughput, unit)) in enumerate(sorted(found.items()), 1)]

    # --- slots ------------------------------------------------------------------------------

    def plan(self, wanted: int) -> tuple[list[int], set[int]]:
        """The kept candidate slots (indices, in start order) and the positions of those that get a
        second request."""
        rng = self.rng
        shared = round(wanted * SHADOW_SHARE) if wanted > 1 else 0
        wanted_slots = wanted - shared
        self.starts, self.ends, self.owner, weights = array("q"), array("q"), array("H"), array("d")
        for index, f in enumerate(self.facilities):
            self.tile(index, f, weights)
        candidates = len(self.starts)
        if wanted_slots > MAX_DENSITY * candidates:
            raise CountyError(f"{wanted:,} bookings do not fit in {self.years} years of {len(self.facilities)} "
                              f"facilities (at most {int(MAX_DENSITY * candidates * (1 + SHADOW_SHARE)):,}): "
                              "ask for fewer bookings or more years.")
        scale, draw = wanted_slots / sum(weights), rng.random
        kept = bytearray(candidates)
        count = 0
        for i, weight in enumerate(weights):
            if draw() < scale * weight:
                kept[i] = 1
                count += 1
        while count != wanted_slots:  # exactly as many as wanted: drop or add a few at random
            i = rng.randrange(candidates)
            if kept[i] == (count > wanted_slots):
                kept[i] ^= 1
                count += 1 if kept[i] else -1
        slots = [i for i in range(candidates) if kept[i]]
        slots.sort(key=self.starts.__getitem__)  # ids grow with time, as in a live system
        return slots, set(rng.sample(range(len(slots)), shared))

    def tile(self, index: int, f: Place, weights: array) -> None:
        """Cover the facility's bookable hours with candidate slots, and weigh each."""
        draw = self.draw
        windows: dict[int, list[tuple[int, int]]] = {}
        for weekday, start, end in f.hours:
            windows.setdefault(weekday, []).append((start, end))
        now, first = self.now_minute, (self.first - EPOCH_DAY).days * DAY
        closures = [(s, e) for s, e, _kind, _reason in f.closures]
        slot, buffer, durations, cum = f.slot_minutes, f.buffer_minutes, f.durations, f.duration_cum
        total = cum[-1]
        tod, popularity = f.tod, f.popularity
        starts, ends, owner = self.starts, self.ends, self.owner
        free_from = closure = 0
        day = self.first
        while day <= self.last:
            offset = self.tz.utcoffset(datetime(day.year, day.month, day.day, 12)) // timedelta(minutes=1)
            midnight = (day - EPOCH_DAY).days * DAY - offset
            weekday = day.weekday()
            profile = tod[weekday >= 5]
            for window_start, window_end in windows.get(weekday, ()):
                start, end = midnight + window_start, midnight + window_end
                t = max(start, free_from)
                t += -(t - midnight) % slot
                while True:
                    t += slot * GAPS[int(draw() * len(GAPS))]
                    length = durations[bisect(cum, draw() * total)]
                    if t + length > end:
                        length = (end - t) // slot * slot
                        if length < 60:
                            break
                    while closure < len(closures) and closures[closure][1] <= t:
                        closure += 1
                    if closure == len(closures) or closures[closure][0] >= t + length:
                        starts.append(t)
                        ends.append(t + length)
                        owner.append(index)
                        # Fewer bookings in the early years; ahead of today, the fewer the further.
                        trend = (0.45 + 0.55 * (t - first) / (now - first) if t < now
                                 else max(0.1, 1 - (t - now) / (28 * DAY)))
                        weights.append(popularity * trend * profile[(t - midnight) // 60])
                    t += length + buffer
                    t += -(t - midnight) % slot
                    free_from = t
            day += timedelta(days=1)

    # Draws made millions of times: cheaper than Random.choice/randint/uniform (the same distributions).
    def pick(self, items):
        return items[int(self.draw() * len(items))]

    def whole(self, low: int, high: int) -> int:
        return low + int(self.draw() * (high - low + 1))

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.draw()

    # --- bookings ---------------------------------------------------------------------------

    def write_bookings(self, conn, writer: Writer, slots: list[int], shared: set[int], echo, started) -> dict:
        """Write the bookings with their usage records and charges, ids in order of start.

        The recent slots (those that may still hold their facility) are written first, with the ids
        they have in start order: SQLite's overlap trigger scans every earlier booking of the
        facility when a blocking one is inserted, so blocking bookings go in while the table is
        nearly empty (inserting a few high ids first leaves the table as compact).
        """
        counts = {"bookings": 0, "usage_records": 0, "charges": 0}
        rows: dict[str, list] = {"bookings": [], "usage_records": [], "charges": []}
        self.at = writer.stamp
        recent = bisect_left(slots, self.now_minute - LONGEST, key=self.starts.__getitem__)
        history_ids = recent + sum(position < recent for position in shared)

        def flush() -> None:
            writer.write(Booking.__table__, BOOKING_COLUMNS, rows["bookings"])
            writer.write(UsageRecord.__table__, USAGE_COLUMNS, rows["usage_records"])
            writer.write(Charge.__table__, CHARGE_COLUMNS, rows["charges"])
            for name, written in rows.items():
                counts[name] += len(written)
                written.clear()

        # SQLite commits every so often (the write-ahead log stays small); PostgreSQL loads in one
        # transaction, inside which the foreign keys are checked once at the end.
        transaction, reported = conn.begin(), 0
        try:
            with writer.foreign_keys_checked_at_the_end((Booking.__tablename__, UsageRecord.__tablename__,
                                                         Charge.__tablename__)):
                for positions, self.next_id in ((range(recent, len(slots)), history_ids + 1), (range(recent), 1)):
                    for position in positions:
                        i = slots[position]
                        f = self.facilities[self.owner[i]]
                        first = self.booking(f, self.starts[i], self.ends[i], rows)
                        if position in shared:
                            self.second_request(f, first, rows["bookings"])
                        if len(rows["bookings"]) >= BATCH:
                            flush()
                            if counts["bookings"] - reported >= CHUNK:
                                if not writer.postgresql:
                                    transaction.commit()
                                    transaction = conn.begin()
                                reported = counts["bookings"]
                                echo(f"  {reported:,} bookings ({_since(started)})")
                    flush()
                echo(f"  {counts['bookings']:,} bookings ({_since(started)})")
            transaction.commit()
        except BaseException:
            transaction.rollback()
            raise
        return counts

    def booking(self, f: Place, start: int, end: int, rows: dict[str, list]) -> tuple:
        """The booking of a kept slot, with its decision, usage record and charges."""
        now = self.now_minute
        r = self.draw()
        enterprise = self.enterprises[f.pool[bisect(f.pool_cum, self.draw() * f.pool_cum[-1])] - 1]
        requester = self.pick(enterprise["staff"])
        created = self.requested(f, start)
        decided = decided_by = cancelled = cancelled_by = None
        status, updated, rejection, cancel_reason = APPROVED, created, "", ""
        if end <= now:
            status = (NO_SHOW if r < 0.055 else CANCELLED if r < 0.125
                      else REJECTED if r < 0.18 and f.requires_approval else COMPLETED)
        elif start <= now:
            status = CHECKED_IN
        elif r < 0.05:
            status = CANCELLED
        elif f.requires_approval and r < 0.3:
            status = PENDING
        if status == CANCELLED:
            cancelled = updated = self.between(created, min(start, now), 0.3, 0.95)
            by_manager = self.draw() < 0.2
            cancelled_by = self.pick(f.managers) if by_manager else requester
            cancel_reason = self.pick(data.MANAGER_CANCEL_REASONS if by_manager else data.CANCEL_REASONS)
            if self.draw() < 0.7:  # most were approved before they were given up
                decided, decided_by = self.decide(f, created, cancelled)
        elif status != PENDING:
            decided, decided_by = self.decide(f, created, min(start, now))
            updated = decided
            if status == REJECTED:
                rejection = self.pick(data.REJECT_REASONS)
        booking_id = self.next_id
        self.next_id += 1
        if status in (COMPLETED, CHECKED_IN):
            updated = self.use(booking_id, f, start, end, status, rows)
        elif status == NO_SHOW:
            updated = start + f.no_show_grace_minutes
            fee = fee_amount(f, NO_SHOW_FEE)
            if fee is not None:
                rows["charges"].append((booking_id, NO_SHOW_FEE, ZERO, None, fee, ZERO, "CNY", self.at(updated)))
        start_at, end_at, block_end = self.at(start), self.at(end), self.at(end + f.buffer_minutes)
        rows["bookings"].append((
            booking_id, f.id, enterprise["id"], requester, start_at, end_at, block_end, status,
            self.pick(f.purposes), self.planned_output(f, end - start), f.output_unit, False, self.at(created),
            self.at(updated), decided and self.at(decided), decided_by, rejection,
            cancelled and self.at(cancelled), cancelled_by, cancel_reason, SEQUENCE[status]))
        return booking_id, enterprise["id"], status, start, end, decided, decided_by, (start_at, end_at, block_end)

    def second_request(self, f: Place, first: tuple, rows: list) -> None:
        """Another enterprise's request for the same slot: lost to the first, still competing with it, or withdrawn."""
        now = self.now_minute
        winner, winner_enterprise, winner_status, start, end, decided, decided_by, times = first
        enterprise = self.enterprises[self.pick([e for e in f.pool if e != winner_enterprise] or f.pool) - 1]
        requester = self.pick(enterprise["staff"])
        created = self.requested(f, start)
        if winner_status in (COMPLETED, NO_SHOW, CHECKED_IN, APPROVED) and decided_by is not None:
            status, created = REJECTED, min(created, decided - self.whole(1, 120))
            values = (self.at(decided), self.at(decided), decided_by, self.lost_to % {"id": winner}, None, None, "")
        elif winner_status == PENDING:
            status, values = PENDING, (self.at(created), None, None, "", None, None, "")
        else:
            status, cancelled = CANCELLED, self.at(self.between(created, min(start, now), 0.3, 0.95))
            values = (cancelled, None, None, "", cancelled, requester, self.pick(data.CANCEL_REASONS))
        updated, decided_at, by, rejection, cancelled_at, cancelled_by, cancel_reason = values
        rows.append((
            self.next_id, f.id, enterprise["id"], requester, *times, status, self.pick(f.purposes),
            self.planned_output(f, end - start), f.output_unit, False, self.at(created), updated, decided_at, by,
            rejection, cancelled_at, cancelled_by, cancel_reason, 0 if status == PENDING else 1))
        self.next_id += 1

    def requested(self, f: Place, start: int) -> int:
        """Requested one to fourteen days ahead (never within the notice period), and before now."""
        notice = max(DAY, f.min_notice_minutes)
        return min(start - self.whole(notice, 14 * DAY), self.now_minute - self.whole(10, 720))

    def between(self, first: int, limit: int, low: float, high: float) -> int:
        """A whole minute in (first, limit) where one fits."""
        return first + max(1, int((limit - first) * self.uniform(low, high)))

    def decide(self, f: Place, created: int, limit: int) -> tuple[int, int | None]:
        """A manager decides a few hours to a few days after the request, before ``limit``;
        a facility that needs no approval approves at once."""
        if not f.requires_approval:
            return created, None
        decided = created + self.whole(120, 4 * DAY)
        if decided >= limit:
            decided = self.between(created, limit, 0.3, 0.9)
        return decided, self.pick(f.managers)

    def use(self, booking_id: int, f: Place, start: int, end: int, status: str, rows: dict[str, list]) -> int:
        """The usage record (and for a completed booking its use charge); returns its last change."""
        now = self.now_minute
        recorder = self.pick(f.managers)
        # Moves of whole tenths of an hour: booked, actual and billed hours stay exact decimals.
        actual_start = min(start + self.pick(CHECK_IN_DELAYS), now)
        if status == CHECKED_IN:
            rows["usage_records"].append((booking_id, self.at(actual_start), None, None, f.output_unit, "", False,
                                          recorder, self.at(actual_start)))
            return actual_start
        actual_end = min(end + self.pick(CHECK_OUT_DELAYS), end + f.buffer_minutes // 6 * 6)
        actual_end = max(actual_end if actual_end <= now else end, actual_start + 30)
        quantity = self.output(f, (actual_end - actual_start) / 60)
        recorded = self.at(actual_end)
        rows["usage_records"].append((booking_id, self.at(actual_start), recorded, quantity, f.output_unit, "", False,
                                      recorder, recorded))
        key = (f.id, end - start, actual_end - actual_start, quantity if f.rate_unit == "unit" else None)
        if (amounts := self.amounts.get(key)) is None:
            amounts = self.amounts[key] = use_amounts(f, end - start, actual_end - actual_start, quantity)
        rows["charges"].append((booking_id, USE, amounts.billable_hours, amounts.billable_quantity, amounts.amount,
                                amounts.reference_amount, "CNY", recorded))
        return actual_end

    def output(self, f: Place, hours: float) -> Decimal | None:
        if f.output_unit in ("pairs", "pieces"):
            return Decimal(int(float(f.throughput_per_hour) * hours * self.uniform(0.78, 0.97)))
        if f.output_unit == "sessions":
            return ONE
        if f.output_unit == "samples":
            return Decimal(self.whole(2, 12))
        return None

    def planned_output(self, f: Place, minutes: int) -> Decimal | None:
        if f.output_unit in ("pairs", "pieces"):
            return Decimal(int(round(float(f.throughput_per_hour) * minutes / 60 * 0.9, -1)))
        if f.output_unit == "sessions":
            return ONE
        if f.output_unit == "samples":
            return Decimal(self.whole(3, 10))
        return None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _password_hash() -> str:
    """One hash for every account (hashing is slow by design): the demo's password."""
    from ..accounts.services import hash_password
    return hash_password(data.PASSWORD)


ZERO, ONE = Decimal("0.00"), Decimal(1)
GAPS = (0, 0, 0, 0, 1, 1, 2)  # free slots left before the next candidate
CHECK_IN_DELAYS = (-6, 0, 0, 0, 0, 6, 12, 18)
CHECK_OUT_DELAYS = (-30, -18, -12, -6, 0, 0, 0, 0, 6, 12)
SEQUENCE = {PENDING: 0, APPROVED: 1, REJECTED: 1, CANCELLED: 2, CHECKED_IN: 2, NO_SHOW: 2, COMPLETED: 3}
BOOKING_COLUMNS = (
    "id", "facility_id", "enterprise_id", "requester_id", "start_at", "end_at", "block_end", "status", "purpose",
    "planned_output", "output_unit", "rules_overridden", "created_at", "updated_at", "decided_at", "decided_by_id",
    "rejection_reason", "cancelled_at", "cancelled_by_id", "cancel_reason", "sequence")
USAGE_COLUMNS = ("booking_id", "actual_start", "actual_end", "output_quantity", "output_unit", "notes",
                 "auto_closed", "recorded_by_id", "recorded_at")
CHARGE_COLUMNS = ("booking_id", "kind", "billable_hours", "billable_quantity", "amount", "reference_amount",
                  "currency", "computed_at")
