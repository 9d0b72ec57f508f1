"""The floor for bench/http_load.py: the least a booking request can cost — one SQL INSERT per request.

    DATABASE_URL=... gunicorn bench.floor_app:app   (from the project folder)

Same server, same database, same request (the JSON body and bearer header of a booking request) as
the real app: it reads the JSON, inserts one row into the scratch table ``bench_floor`` (created and
dropped by bench/http_load.py) in its own transaction, and answers 201 with a small JSON body. SQLite
gets the app's connection settings (WAL, busy timeout, BEGIN IMMEDIATE for the write).
"""
from __future__ import annotations

import os
from datetime import UTC, datetime

from flask import Flask, jsonify, request
from sqlalchemy import create_engine, event, text

url = os.environ["DATABASE_URL"]
if url.startswith("postgres://"):
    url = "postgresql://" + url[len("postgres://"):]
engine = create_engine(url, pool_pre_ping=False)
if engine.dialect.name == "sqlite":
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

app = Flask(__name__)
INSERT = text("INSERT INTO bench_floor (resource_id, start_at, end_at, purpose, created_at) "
              "VALUES (:resource_id, :start, :end, :purpose, :created_at)")


@app.post("/api/v1/bookings")
def book():
    body = request.get_json()
    with engine.begin() as conn:
        conn.execute(INSERT, dict(resource_id=body["resource_id"], start=body["start"], end=body["end"],
                                  purpose=body.get("purpose", ""), created_at=datetime.now(UTC).isoformat()))
    return jsonify(status="ok"), 201
