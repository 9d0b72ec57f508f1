"""Command-line tasks: ``flask --app booking <command>``."""
from __future__ import annotations

import click
from sqlalchemy import func, select

from .extensions import db


@click.command("create-token")
@click.argument("email")
@click.option("--name", default="cli", help="A label to recognise the token by.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(["read", "write", "admin"]),
              default=("read", "write"), show_default=True,
              help="Repeat for several; admin only for administrators and enterprise admins.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None,
              help="Days until the token stops working (default: it does not expire).")
def create_token(email: str, name: str, scopes: tuple[str, ...], expires_in_days: int | None) -> None:
    """Print a new API token for EMAIL (only its hash is stored)."""
    from datetime import timedelta

    from .accounts.permissions import roles_of
    from .accounts.services import find_user_by_email, issue_api_token
    from .errors import DomainError
    from .timeutil import utcnow
    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no user with e-mail {email}")
    expires_at = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    try:
        _token, secret = issue_api_token(user, roles_of(user), name, scopes, expires_at=expires_at)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(secret)


@click.command("load-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
def load_demo(if_empty: bool) -> None:
    """Load the demo chains, enterprises, facilities, accounts and bookings."""
    from .accounts.models import User
    from .demo import load
    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("database already has data; demo not loaded")
        return
    summary = load()
    db.session.commit()
    click.echo("demo loaded: " + ", ".join(f"{n} {what}" for what, n in summary.items()))


@click.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator")
@click.password_option()
def create_admin(email: str, name: str, password: str) -> None:
    """Create an administrator account."""
    from .accounts.models import User
    from .accounts.services import check_password_rules, find_user_by_email, hash_password
    from .errors import InvalidInput
    if find_user_by_email(email):
        raise click.ClickException(f"{email} exists already")
    try:
        check_password_rules(password)
    except InvalidInput as error:
        raise click.ClickException(error.message) from error
    db.session.add(User(email=email.strip().lower(), name=name, password_hash=hash_password(password),
                        is_admin=True))
    db.session.commit()
    click.echo(f"administrator {email} created")


@click.command("close-no-shows")
def close_no_shows() -> None:
    """Mark bookings not checked in within their grace period as no-shows and close forgotten check-outs."""
    from .usage.services import close_overdue
    no_shows, auto_closed = close_overdue()
    db.session.commit()
    click.echo(f"{no_shows} no-shows, {auto_closed} closed automatically")


@click.command("report-months")
def report_months() -> None:
    """Store the report's sums of every month that has ended (run nightly from cron)."""
    from .reports.engine import store_months
    from .usage.services import close_overdue
    close_overdue()
    stored = store_months()
    db.session.commit()
    click.echo(f"{stored} facility-months stored")


@click.command("generate-load")
@click.option("--bookings", default=1_500_000, show_default=True, type=click.IntRange(min=0),
              help="How many bookings to generate.")
@click.option("--years", default=5, show_default=True, type=click.IntRange(1, 10),
              help="Years of history, ending four weeks from today.")
@click.option("--seed", default=1, show_default=True, help="The same seed on the same day gives the same data.")
def generate_load(bookings: int, years: int, seed: int) -> None:
    """Fill an empty, migrated database with a county-scale dataset for benchmarks (10 chains,
    500 enterprises, 300 facilities, years of bookings with their usage and charges)."""
    from .demo.county import CountyError, generate
    try:
        generate(bookings=bookings, years=years, seed=seed, echo=click.echo)
    except CountyError as error:
        raise click.ClickException(str(error)) from error


@click.command("send-notifications")
@click.option("--once", is_flag=True, help="Run one round (drain the outbox) and exit, e.g. from cron.")
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds to sleep between rounds.")
@click.option("--batch", default=50, show_default=True, type=click.IntRange(1, 1000),
              help="Messages claimed at a time.")
def send_notifications(once: bool, interval: float, batch: int) -> None:
    """Queue reminders and other timed messages, then e-mail what the outbox holds (with retries).

    Several workers may run at once: each message is claimed by one of them before it is sent.
    """
    import time

    from flask import current_app

    from .notifications.delivery import new_worker_id, run_round
    from .timeutil import utcnow
    worker = new_worker_id()
    if not once:
        click.echo(f"worker {worker}: a round every {interval:g} s (Ctrl-C stops)")
    while True:
        try:
            done, report = run_round(batch=batch, worker=worker)
        except Exception as error:  # the loop outlives a database restart or a bad message
            db.session.rollback()
            if once:
                raise
            current_app.logger.exception("send-notifications round failed")
            click.echo(f"{utcnow():%Y-%m-%d %H:%M:%S}Z round failed, trying again: {error}", err=True)
        else:
            scanned = ", ".join(f"{n} {what}" for what, n in sorted(done.items()) if n)
            if once or scanned or report.claimed:
                click.echo(f"{utcnow():%Y-%m-%d %H:%M:%S}Z " + (f"{scanned}; " if scanned else "")
                           + f"e-mail: {report}")
        if once:
            return
        try:
            time.sleep(interval)
        except KeyboardInterrupt:
            click.echo("stopped")
            return


commands = [create_token, load_demo, create_admin, close_no_shows, generate_load, report_months,
            send_notifications]


def _sqlite_file(action: str) -> str:
    """The path of the app's SQLite database file; any other database is refused with what to use instead."""
    url = db.engine.url
    if url.get_backend_name() != "sqlite":
        tool = "pg_dump -Fc" if action == "backup" else "pg_restore"
        raise click.ClickException(
            f"{action} works on SQLite files only; this database is {url.get_backend_name()}: "
            f"use {tool} instead (README, 'Production': backups)")
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise click.ClickException(f"{action} needs an SQLite database file, not {url.render_as_string()}")
    return url.database


def _copy_sqlite(source: str, target: str, source_read_only: bool) -> None:
    """SQLite's online backup: a consistent copy page by page, even while the app writes to the source."""
    import sqlite3
    src = sqlite3.connect(f"file:{source}?mode=ro" if source_read_only else source, uri=source_read_only)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@click.option("--force", is_flag=True, help="Replace PATH when it exists.")
def backup(path: str, force: bool) -> None:
    """Copy the SQLite database to PATH, safely while the app and the worker run (PostgreSQL: pg_dump)."""
    import os
    database = _sqlite_file("backup")
    if not os.path.exists(database):
        raise click.ClickException(f"there is no database at {database}")
    if os.path.exists(path) and not force:
        raise click.ClickException(f"{path} exists; choose another name or pass --force")
    partial = f"{path}.partial"
    if os.path.exists(partial):
        os.remove(partial)
    _copy_sqlite(database, partial, source_read_only=True)
    os.replace(partial, path)  # a backup that stops half-way never looks complete
    click.echo(f"backed up {database} to {path} ({os.path.getsize(path)} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(path: str, yes: bool) -> None:
    """Replace the SQLite database with the backup at PATH. Stop the web app and the worker first,
    then run `flask db upgrade` if the backup is older than the code (PostgreSQL: pg_restore)."""
    import sqlite3
    database = _sqlite_file("restore")
    try:
        check = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = check.execute("PRAGMA quick_check").fetchone()[0] == "ok"
            migrated = check.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()[0]
        finally:
            check.close()
    except sqlite3.DatabaseError as error:
        raise click.ClickException(f"{path} is not an SQLite database: {error}") from error
    if not ok or not migrated:
        raise click.ClickException(f"{path} is not a backup of this app (damaged, or never migrated)")
    if not yes:
        click.confirm(f"Replace {database} with {path}? The web app and the worker must be stopped", abort=True)
    db.session.remove()
    db.engine.dispose()
    _copy_sqlite(path, database, source_read_only=True)
    click.echo(f"restored {database} from {path}; run `flask db upgrade` before starting the app")


commands += [backup, restore]
