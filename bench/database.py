"""What every benchmark prints first: which database it measured, and how big it is."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from booking.extensions import db


def describe(engine) -> str:
    url = engine.url.render_as_string(hide_password=True)
    if engine.dialect.name == "sqlite":
        size = Path(engine.url.database).stat().st_size
        version = db.session.scalar(text("SELECT sqlite_version()"))
        return f"SQLite {version}, {url}, {size / 2 ** 20:,.0f} MiB"
    version = db.session.scalar(text("SHOW server_version"))
    size = db.session.scalar(text("SELECT pg_database_size(current_database())"))
    return f"PostgreSQL {version}, {url}, {size / 2 ** 20:,.0f} MiB"
