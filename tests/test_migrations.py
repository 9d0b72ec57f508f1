"""Migrations upgrade a database that already holds bookings, not only an empty one.

SQLite rebuilds a table for many ALTERs, and with foreign keys on, a rebuild of a table
that bookings point at fails once bookings exist: `make run` on an existing instance
would break. This test keeps every migration honest about that.
"""
from __future__ import annotations

from flask_migrate import upgrade
from sqlalchemy import func, select, text

from booking import create_app
from booking.extensions import db

from .conftest import _config

FIRST_REVISION = "d2a07fad2cc7"
NOW = "2026-01-05 08:00:00.000000"


def test_upgrading_a_sqlite_database_that_holds_bookings(tmp_path):
    app = create_app(_config(f"sqlite:///{tmp_path / 'old.sqlite'}"))
    with app.app_context():
        upgrade(revision=FIRST_REVISION)
        statements = [
            "INSERT INTO chains (id, name, description, timezone, show_booker_names, created_at) "
            f"VALUES (1, '泽国', '', 'Asia/Shanghai', 0, '{NOW}')",
            "INSERT INTO enterprises (id, name, uscc, contact_name, contact_phone, contact_email, active, created_at) "
            f"VALUES (1, '鸿达鞋业', '91331081MA0000005D', '', '', '', 1, '{NOW}')",
            "INSERT INTO users (id, email, name, password_hash, is_admin, active, session_version, created_at) "
            f"VALUES (1, 'a@example.test', 'A', 'x', 0, 1, 1, '{NOW}')",
            "INSERT INTO facilities (id, chain_id, name, kind, park, location, description, output_unit, active, "
            "requires_approval, slot_minutes, min_minutes, max_minutes, min_notice_minutes, max_advance_days, "
            "buffer_minutes, currency, rate_unit, shared_rate, reference_rate, billing_basis, no_show_fee, "
            "late_cancel_fee, created_at) VALUES (1, 1, '春雨', 'production_line', '', '', '', '', 1, 1, 60, 60, "
            f"480, 60, 90, 30, 'CNY', 'hour', 600, 1250, 'booked', 0, 0, '{NOW}')",
            "INSERT INTO bookings (id, facility_id, enterprise_id, requester_id, start_at, end_at, block_end, status, "
            "purpose, output_unit, rules_overridden, created_at, updated_at, rejection_reason, cancel_reason, "
            "sequence) VALUES (1, 1, 1, 1, '2026-01-06 01:00:00.000000', '2026-01-06 03:00:00.000000', "
            f"'2026-01-06 03:30:00.000000', 'approved', '试产', '', 0, '{NOW}', '{NOW}', '', '', 0)",
        ]
        for statement in statements:
            db.session.execute(text(statement))
        db.session.commit()

        upgrade()

        assert db.session.scalar(select(func.count()).select_from(text("bookings"))) == 1
        assert db.session.execute(text("SELECT no_show_grace_minutes, self_check_in FROM facilities")).one() == (15, 0)
        db.engine.dispose()
