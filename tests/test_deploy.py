"""Production deployment: the health check, JSON logs, SQLite backups and the gunicorn settings."""
from __future__ import annotations

import io
import json
import logging
import os
import runpy
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text

from booking import create_app
from booking.bookings.models import Booking
from booking.extensions import db
from booking.logs import HANDLER_NAME

from .conftest import PG_URL, _config
from .factories import local, next_weekday

ROOT = Path(__file__).resolve().parents[1]


def test_healthz_answers_ok_without_sign_in_or_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "migrations": "current"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    app = create_app(_config(f"sqlite:///{tmp_path}/missing/dir/booking.sqlite"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error", "migrations": "unknown"}


def test_healthz_is_503_while_the_database_is_behind_the_code(app, client):
    head = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    older = app.extensions["migrate"].directory
    from alembic.script import ScriptDirectory
    previous = ScriptDirectory(older).get_revision(head).down_revision
    db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    db.session.commit()
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json() == {"status": "error", "database": "ok", "migrations": "behind"}
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
        db.session.commit()


def test_healthz_keeps_serving_when_the_database_is_ahead(client, monkeypatch):
    """A rolling deploy: `flask db upgrade` ran, this host still runs the previous release."""
    from booking import health
    monkeypatch.setattr(health.MigrationContext, "get_current_heads", lambda self: ("a_future_revision",))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["migrations"] == "ahead"


@pytest.fixture
def json_log(database_url):
    """An app with FLASK_LOG_FORMAT=json, and the lines its handler writes."""
    app = create_app({**_config(database_url), "LOG_FORMAT": "json"})
    root = logging.getLogger()
    handler = next(h for h in root.handlers if h.name == HANDLER_NAME)
    stream = io.StringIO()
    handler.setStream(stream)
    levels = root.level, app.logger.level
    try:
        yield app, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        app.logger.setLevel(levels[1])
        with app.app_context():
            db.engine.dispose()


def test_json_logs_are_one_object_per_line_with_the_request(json_log):
    app, lines = json_log

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaput")

    client = app.test_client()
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    assert client.get("/boom").status_code == 500
    with app.app_context():
        db.engine.dispose()

    logged = lines()
    request_line = next(entry for entry in logged if entry["message"] == "request" and entry["path"] == "/healthz")
    assert request_line["level"] == "INFO"
    assert request_line["method"] == "GET"
    assert request_line["status"] == 200
    assert request_line["request_id"] == "abc-123"
    assert {"time", "logger", "duration_ms"} <= request_line.keys()
    error = next(entry for entry in logged if entry["level"] == "ERROR")
    assert error["path"] == "/boom"
    assert error["message"] == "unhandled error"
    assert "RuntimeError: kaput" in error["exception"]
    assert len(error["request_id"]) == 32  # none given: one is made up


def test_text_logs_are_the_default(app):
    assert not any(h.name == HANDLER_NAME for h in logging.getLogger().handlers)


@pytest.mark.skipif(bool(PG_URL), reason="backup and restore copy SQLite files; PostgreSQL uses pg_dump")
def test_backup_then_restore_brings_the_bookings_back(app, runner, make, tmp_path):
    booking = make.booking(make.facility(), local(next_weekday(), "09:00"))
    db.session.commit()
    booking_id = booking.id
    target = tmp_path / "backup.sqlite"

    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM bookings WHERE id = ?", (booking_id,)).fetchone() == (1,)
    assert runner.invoke(args=["backup", str(target)]).exit_code != 0  # never overwrites unasked

    db.session.execute(text("DELETE FROM bookings"))
    db.session.commit()
    assert db.session.scalar(select(Booking).where(Booking.id == booking_id)) is None

    result = runner.invoke(args=["restore", str(target)], input="y\n")
    assert result.exit_code == 0, result.output
    db.session.remove()
    assert db.session.scalar(select(Booking.id).where(Booking.id == booking_id)) == booking_id


@pytest.mark.skipif(bool(PG_URL), reason="restores into an SQLite file")
def test_restore_refuses_a_file_that_is_not_a_backup(runner, tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    result = runner.invoke(args=["restore", "--yes", str(junk)])
    assert result.exit_code != 0
    assert "not" in result.output and "junk.sqlite" in result.output


@pytest.mark.parametrize(("command", "advice"), [("backup", "pg_dump -Fc"), ("restore", "pg_restore")])
def test_backup_and_restore_refuse_postgresql_and_say_what_to_use(tmp_path, command, advice):
    app = create_app(_config("postgresql://nobody@127.0.0.1:1/none"))
    existing = tmp_path / "file.sqlite"
    existing.write_bytes(b"")
    path = str(tmp_path / "new.sqlite") if command == "backup" else str(existing)
    with app.app_context():  # as `flask --app booking ...` runs every command
        result = app.test_cli_runner().invoke(args=[command, path])
    assert result.exit_code != 0
    assert "SQLite files only" in result.output and advice in result.output


def _gunicorn_settings(monkeypatch, cpus: int | None, **env) -> dict:
    for name in ("WEB_CONCURRENCY", "BIND", "PORT", "FLASK_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(os, "cpu_count", lambda: cpus)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_workers_follow_the_cpu_count(monkeypatch):
    settings = _gunicorn_settings(monkeypatch, 4)
    assert settings["workers"] == 9
    assert settings["bind"] == ["127.0.0.1:8000"]
    assert settings["accesslog"] == "-" and settings["preload_app"] is False
    assert _gunicorn_settings(monkeypatch, None)["workers"] == 3
    assert _gunicorn_settings(monkeypatch, 4, WEB_CONCURRENCY="2")["workers"] == 2
    assert _gunicorn_settings(monkeypatch, 4, PORT="5001")["bind"] == ["0.0.0.0:5001"]
    assert _gunicorn_settings(monkeypatch, 4, PORT="5001", BIND="unix:/run/x.sock")["bind"] == ["unix:/run/x.sock"]
    assert _gunicorn_settings(monkeypatch, 4, FLASK_LOG_FORMAT="json")["accesslog"] is None


def test_gunicorn_conf_names_only_real_settings(monkeypatch):
    from gunicorn.config import KNOWN_SETTINGS
    known = {setting.name for setting in KNOWN_SETTINGS}
    settings = _gunicorn_settings(monkeypatch, 2)
    ours = {name for name, value in settings.items() if not name.startswith("_") and not callable(value)
            and name != "os"}
    assert ours <= known, ours - known
