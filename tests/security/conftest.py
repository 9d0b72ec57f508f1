"""An application with throttling switched on (the ordinary test config switches it off)."""
from __future__ import annotations

import types

import pytest

from booking import create_app
from booking.db import set_read_only_transactions
from booking.extensions import db

from ..conftest import IsolatedClient, _config


@pytest.fixture
def make_app(database_url):
    """``make_app(**settings)``: the test application with these settings on top."""
    made = []

    def build(**settings):
        app = create_app({**_config(database_url), **settings})
        app.test_client_class = IsolatedClient
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def limited(make_app):
    """Throttling on, with limits small enough to reach; the app context stays pushed."""
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute", LOGIN_RATE_LIMIT="100 per minute",
                   LOGIN_LOCKOUT_ATTEMPTS=3, LOGIN_LOCKOUT_MINUTES=15)
    with app.app_context():
        set_read_only_transactions(True)
        yield app
        db.session.remove()


@pytest.fixture
def clock(monkeypatch):
    """The in-memory rate-limit storage's clock; ``clock.advance(seconds)`` moves it on."""
    import time

    import limits.storage.memory as memory
    offset = [0.0]
    fake = types.SimpleNamespace(time=lambda: time.time() + offset[0], sleep=time.sleep)
    monkeypatch.setattr(memory, "time", fake)
    return types.SimpleNamespace(advance=lambda seconds: offset.__setitem__(0, offset[0] + seconds))


@pytest.fixture
def make(limited):
    from ..factories import Factory
    return Factory()
