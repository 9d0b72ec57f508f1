"""Structured logs: ``FLASK_LOG_FORMAT=json`` writes one JSON object per line to stderr.

The default (``text``) leaves logging as Flask sets it up, tests included.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

HANDLER_NAME = "lianxiang-json"
# A request id from the proxy (nginx's $request_id) is kept when it looks like one; anything else is replaced.
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class JsonFormatter(logging.Formatter):
    """time, level, logger, message; the request's id, method and path inside a request; status
    and duration on the request line; the exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = g.get("request_id")
            entry["method"] = request.method
            entry["path"] = request.path
        for key in ("status", "duration_ms", "remote_addr"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(app: Flask) -> None:
    if str(app.config.get("LOG_FORMAT", "text")).lower() != "json":
        return
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h.name == HANDLER_NAME]:
        root.removeHandler(handler)  # a second create_app in the same process replaces, not doubles
    handler = logging.StreamHandler(sys.stderr)
    handler.name = HANDLER_NAME
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    level = logging.getLevelNamesMapping().get(str(app.config.get("LOG_LEVEL", "INFO")).upper(), logging.INFO)
    root.setLevel(max(level, logging.WARNING))  # libraries: warnings and worse
    app.logger.removeHandler(default_handler)  # its lines would otherwise appear twice, once as text
    app.logger.setLevel(level)

    @app.before_request
    def _request_id():
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        response.headers.setdefault("X-Request-ID", g.get("request_id", ""))
        started = g.get("request_started")
        app.logger.info("request", extra={
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            "remote_addr": request.remote_addr,
        })
        return response
