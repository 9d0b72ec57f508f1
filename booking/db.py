"""Column types and engine set-up shared by every domain.

SQLite has no time zones and no exclusion constraints, so two things live here:
``UTCDateTime`` stores naive UTC there and always hands back aware UTC, and
write requests open their transaction with ``BEGIN IMMEDIATE`` so that the
check-then-write of a booking is serialized across worker processes.
"""
from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric, event
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator

_begin_immediate: ContextVar[bool] = ContextVar("sqlite_begin_immediate", default=True)


class UTCDateTime(TypeDecorator):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def Money() -> Numeric:
    return Numeric(12, 2, asdecimal=True)


ZERO = Decimal("0.00")


def set_read_only_transactions(read_only: bool) -> None:
    """Read-only requests may start deferred SQLite transactions; writes take the lock up front."""
    _begin_immediate.set(not read_only)


def begin_writing(session) -> None:
    """A write request that began by only reading (the API looks up its caller's token and roles in a
    deferred transaction) ends that transaction here: its next statement begins IMMEDIATE and holds
    SQLite's write lock until the commit, which the reading no longer delays. Loaded objects are
    expired and read again under the lock. Nothing to do where the request took the lock up front."""
    if not _begin_immediate.get():
        session.rollback()
        _begin_immediate.set(True)


def configure_engine(engine: Engine, busy_timeout: int) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        # Take transaction control away from pysqlite so that our BEGIN is the one that runs.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout) * 1000}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
            # Reports read hundreds of thousands of rows: a 64 MB page cache, sorts in memory and
            # memory-mapped reads instead of the 2 MB default cache and temporary files.
            cursor.execute("PRAGMA cache_size = -65536")
            cursor.execute("PRAGMA temp_store = MEMORY")
            cursor.execute("PRAGMA mmap_size = 268435456")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _begin_immediate.get() else "BEGIN")
