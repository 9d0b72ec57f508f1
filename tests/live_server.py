"""A real server on 127.0.0.1 for tests that speak HTTP: the browser journeys (tests/e2e), the API
fuzzing and the OpenAPI client (tests/api).

``demo_server(database_template, directory, **settings)`` loads the demo into a migrated, empty
database (SQLite in ``directory``, or the PostgreSQL test database with TEST_DATABASE_URL) and serves
the app on a free port from a background thread; ``server.stop()`` shuts it down and lets go of the
database, so that the next test may empty it.
"""
from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from booking import create_app
from booking.extensions import db

from .conftest import empty_database


class QuietHandler(WSGIRequestHandler):
    """No access log line per request; errors are still logged."""

    def log_request(self, code="-", size="-") -> None:
        pass


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        with self.app.app_context():
            db.engine.dispose()

    def token(self, email: str, scopes: str = "read write") -> str:
        """The secret of a fresh API token of the account with this e-mail."""
        return self.issue(email, scopes)[1]

    def issue(self, email: str, scopes: str = "read write") -> tuple[int, str]:
        """(id, secret) of a fresh API token of the account with this e-mail."""
        from sqlalchemy import select

        from booking.accounts.models import User
        from booking.accounts.services import create_api_token
        with self.app.app_context():
            user = db.session.scalar(select(User).where(User.email == email))
            token, secret = create_api_token(user, name="tests", scopes=scopes)
            db.session.commit()
            made = token.id, secret
            db.session.remove()
        return made


def demo_server(database_template: str, directory, **settings) -> LiveServer:
    """The demo, served (already started). ``settings`` go on top of a production-like configuration."""
    from booking.demo import load
    url = empty_database(database_template, directory)
    app = create_app({"SECRET_KEY": "live", "SQLALCHEMY_DATABASE_URI": url, "SQLITE_BUSY_TIMEOUT": 30,
                      **settings})
    with app.app_context():
        load()
        db.session.commit()
        db.session.remove()
    server = LiveServer(app)
    app.config["PUBLIC_URL"] = server.url
    server.start()
    return server
