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
