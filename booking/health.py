"""``GET /healthz`` for load balancers: 200 when this host can serve, 503 when it should get no traffic.

It needs no sign-in and sets no cookie. Its answer is machine-readable, so nothing in it is translated.
"""
from __future__ import annotations

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    body = {"status": "ok", "database": "ok", "migrations": "unknown"}
    try:
        db.session.execute(text("SELECT 1"))
        body["migrations"] = migration_state(db.session.connection())
    except SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.warning("health check: database unavailable: %s", error.__class__.__name__)
        body.update(status="error", database="error")
        return jsonify(body), 503
    # "ahead" (the database is newer than this code) is the moment of a rolling deploy after
    # `flask db upgrade`: migrations stay compatible with the previous release, so keep serving.
    if body["migrations"] == "behind":
        body["status"] = "error"
        return jsonify(body), 503
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


def migration_state(connection) -> str:
    """``current`` when the database is at the code's head revision, ``behind`` when it is at an older
    revision (or has none: `flask db upgrade` never ran), ``ahead`` when its revision is unknown to this code."""
    current = set(MigrationContext.configure(connection).get_current_heads())
    script = _scripts()
    heads = set(script.get_heads())
    if current == heads:
        return "current"
    known = {revision.revision for revision in script.walk_revisions()}
    if current and not current <= known:
        return "ahead"
    return "behind"


def _scripts() -> ScriptDirectory:
    """The migration scripts, read once per process: they change only with a new release."""
    scripts = current_app.extensions.get("health.scripts")
    if scripts is None:
        scripts = ScriptDirectory(current_app.extensions["migrate"].directory)
        current_app.extensions["health.scripts"] = scripts
    return scripts
