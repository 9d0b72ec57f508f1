"""Fixtures: a migrated database per test (SQLite by default, PostgreSQL with TEST_DATABASE_URL)."""
from __future__ import annotations

import contextvars
import os
import shutil

import pytest
from sqlalchemy import create_engine, inspect, text

from flask import has_app_context
from flask.testing import FlaskClient

from booking import create_app
from booking.db import set_read_only_transactions
from booking.extensions import db

from .factories import Factory

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def _config(url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SQLITE_BUSY_TIMEOUT": 30,
        # Throttling has its own tests (tests/security); elsewhere it would only get in the way.
        "RATELIMIT_ENABLED": False,
        "API_CHECK_RESPONSES": True,  # every API answer in the suite must match the OpenAPI document
    }


def _migrate(url: str) -> None:
    from flask_migrate import upgrade
    app = create_app(_config(url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues():
    """`make` compiles the catalogues; a bare `pytest` must see the same translations."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    for po in Path(__file__).resolve().parents[1].glob("booking/translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Run the real migrations once; every test starts from their result."""
    if PG_URL:
        engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        _migrate(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("db") / "template.sqlite"
    _migrate(f"sqlite:///{path}")
    return str(path)


def empty_database(database_template: str, directory) -> str:
    """The URL of a migrated, empty database: PostgreSQL's tables emptied, or a copy of the
    SQLite template in ``directory``."""
    if PG_URL:
        engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return PG_URL
    path = directory / "test.sqlite"
    shutil.copy(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def database_url(database_template, tmp_path):
    return empty_database(database_template, tmp_path)


class IsolatedClient(FlaskClient):
    """Each request runs in a context of its own (its own g, login and database session), as
    in production. The test's own session commits what it set up first and forgets what it
    knew after, so both sides see each other's committed data and hold no locks.

    Tests read English unless they send another Accept-Language (users default to zh_CN)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    def open(self, *args, **kwargs):
        if not has_app_context():  # a redirect being followed: already isolated
            return super().open(*args, **kwargs)
        db.session.commit()
        try:
            return contextvars.Context().run(super().open, *args, **kwargs)
        finally:
            db.session.expire_all()


@pytest.fixture
def app(database_url):
    app = create_app(_config(database_url))
    app.test_client_class = IsolatedClient
    with app.app_context():
        # The test's own session must not hold SQLite's write lock while it only reads.
        set_read_only_transactions(True)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    return Factory()


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, user, password: str = Factory.PASSWORD):
        response = self.client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as seen: ...``; ``len(seen)`` is the number of SQL statements run,
    transaction control (BEGIN, SAVEPOINT, COMMIT, SET ...) aside."""
    from contextlib import contextmanager

    from sqlalchemy import event

    from booking.extensions import db

    control = ("BEGIN", "SAVEPOINT", "RELEASE", "PRAGMA", "COMMIT", "ROLLBACK", "SET ")

    @contextmanager
    def counting():
        seen: list[str] = []

        def _count(_conn, _cursor, statement, *_args):
            if not statement.lstrip().upper().startswith(control):
                seen.append(statement)
        event.listen(db.engine, "before_cursor_execute", _count)
        try:
            yield seen
        finally:
            event.remove(db.engine, "before_cursor_execute", _count)
    return counting
