"""Delivering the e-mail outbox: claim, send, record; safe with several workers at once.

A round claims a batch of due messages in one short transaction (``claimed_by`` this worker,
``claimed_until`` now + LEASE; only rows nobody holds, or whose lease ran out, are taken:
``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the single write lock on SQLite). It renders them,
ends the transaction, and talks to the SMTP server outside any transaction; each message is
then marked sent in a short transaction of its own, and only while this worker still holds
it. A worker that dies between sending and marking leaves a claim that expires: the message
goes out again with the same Message-ID, which lets mail systems drop the copy.

Failures are recorded (``DeliveryFailure``) and retried after 1, 2, 4 … minutes, at most an
hour apart, MAX_ATTEMPTS times; then the message is ``failed`` until an administrator queues
it again. A message that can never go out (no address, inactive account, an address the
server refuses for good) fails at once.

An unreachable SMTP server stops the round: the message being sent records the failure and
backs off, the rest of the batch is handed back untouched. An outage therefore costs one
attempt per round, not one per queued message, and nothing is lost: everything waits in the
outbox until the server answers again.

Flask-Mail builds the messages (``mail.compose``); the SMTP conversation is smtplib's, because
Flask-Mail's connection has no timeout (a server that accepts the connection and never answers
would hold the worker, and its claims, forever) and, under TESTING, silently skips sending
(MAIL_SUPPRESS_SEND), which would mark messages sent that nobody received.
"""
from __future__ import annotations

import logging
import os
import smtplib
import socket
import ssl
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_mail import Message, sanitize_address
from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from ..accounts.permissions import Roles, forget_roles
from ..accounts.services import record
from ..bookings.models import Booking, Series
from ..errors import Forbidden, InvalidTransition, NotFound
from ..extensions import db
from ..timeutil import utcnow
from .mail import Undeliverable, compose, sender_address
from .models import FAILED, QUEUED, SENT, DeliveryFailure, Notification

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 48
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# How long a claim keeps other workers away; a batch stops sending after half of it.
LEASE = timedelta(minutes=5)
MAX_ERROR = 1000


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return min(LONGEST_RETRY, FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16))


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass
class Report:
    """What a delivery did."""
    sent: int = 0
    retrying: int = 0  # attempts that failed and will be tried again
    failed: int = 0  # given up: too many attempts, or undeliverable
    lost: int = 0  # sent, but another worker had taken the claim over meanwhile
    unreachable: str | None = None  # why the SMTP server stopped the round
    claimed: int = field(default=0, repr=False)

    def add(self, other: Report) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.lost += other.lost
        self.claimed += other.claimed
        self.unreachable = other.unreachable or self.unreachable

    def __str__(self) -> str:
        text = f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed"
        if self.lost:
            text += f", {self.lost} claimed by another worker meanwhile"
        if self.unreachable:
            text += f"; SMTP server unreachable: {self.unreachable}"
        return text


# --- the SMTP side --------------------------------------------------------------------------

class Unreachable(Exception):
    """The server cannot be reached or will not take mail from us: no message can go out now."""


class Refused(Exception):
    """The server refused this one message; ``permanent`` for a 5xx answer."""

    def __init__(self, text: str, permanent: bool):
        super().__init__(text)
        self.permanent = permanent


def _describe(error: BaseException) -> str:
    return (f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)[:MAX_ERROR]


class SMTPTransport:
    """One connection for a batch, opened at the first message, with MAIL_TIMEOUT on every step."""

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        host, port, timeout = c.get("MAIL_SERVER") or "localhost", int(c.get("MAIL_PORT") or 25), c.get("MAIL_TIMEOUT", 30)
        try:
            if c.get("MAIL_USE_SSL"):
                smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            try:
                if c.get("MAIL_USE_TLS"):
                    smtp.starttls(context=ssl.create_default_context())
                if c.get("MAIL_USERNAME") and c.get("MAIL_PASSWORD"):
                    smtp.login(c["MAIL_USERNAME"], c["MAIL_PASSWORD"])
            except BaseException:
                smtp.close()
                raise
        except (smtplib.SMTPException, OSError) as error:
            raise Unreachable(_describe(error)) from error
        return smtp

    def send(self, message: Message) -> None:
        reused = self.smtp is not None
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            try:
                self._send(message)
            except smtplib.SMTPServerDisconnected:
                if not reused:
                    raise
                # The server dropped a connection kept from an earlier batch: that is no failure yet.
                self.smtp = self._connect()
                self._send(message)
        except smtplib.SMTPServerDisconnected as error:
            raise Unreachable(_describe(error)) from error

    def _send(self, message: Message) -> None:
        sender = sender_address() or sanitize_address(message.sender)
        recipients = [r[1] if isinstance(r, tuple) else r for r in message.send_to]
        try:
            self.smtp.sendmail(sender, recipients, message.as_bytes())
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            raise Refused(_describe(error), permanent=all(code >= 500 for code in codes)) from error
        except smtplib.SMTPSenderRefused as error:  # our own address: every message would fail alike
            self.close()
            raise Unreachable(_describe(error)) from error
        except smtplib.SMTPResponseException as error:
            if error.smtp_code == 421:  # the server is closing the connection
                self.close()
                raise Unreachable(_describe(error)) from error
            raise Refused(_describe(error), permanent=error.smtp_code >= 500) from error
        except smtplib.SMTPServerDisconnected:
            self.close()
            raise
        except OSError as error:  # timeouts, resets; SMTPException is an OSError too
            self.close()
            raise Unreachable(_describe(error)) from error

    def close(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


# --- the outbox side ------------------------------------------------------------------------

def claim(now: datetime, batch: int, worker: str) -> list[int]:
    """Take up to ``batch`` due messages for ``worker``, in a transaction of its own.

    PostgreSQL: the candidates are selected FOR UPDATE SKIP LOCKED (two workers take different
    rows without waiting for each other), then updated. It takes two statements: as a subquery
    of the UPDATE, the locking SELECT may run more than once and its LIMIT would not hold.
    SQLite: one UPDATE, so that the write lock is taken before anything is read and claims
    follow one another.
    """
    due = (Notification.email_status == QUEUED, Notification.next_attempt_at <= now,
           or_(Notification.claimed_until.is_(None), Notification.claimed_until < now))
    candidates = select(Notification.id).where(*due).order_by(Notification.next_attempt_at, Notification.id) \
        .limit(batch)
    take = update(Notification).where(*due).values(claimed_by=worker, claimed_until=now + LEASE) \
        .returning(Notification.id).execution_options(synchronize_session=False)
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            ids = db.session.scalars(candidates.with_for_update(skip_locked=True)).all()
            ids = db.session.scalars(take.where(Notification.id.in_(ids))).all() if ids else []
        else:
            ids = db.session.scalars(take.where(Notification.id.in_(candidates.scalar_subquery()))).all()
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        raise
    return sorted(ids)


def _held(notification_id: int, worker: str):
    return (Notification.id == notification_id, Notification.claimed_by == worker,
            Notification.email_status == QUEUED)


def _write(statement) -> int:
    """Run one UPDATE in a transaction of its own; returns the rows it changed."""
    try:
        changed = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        raise
    return changed


def mark_sent(notification_id: int, worker: str, now: datetime) -> bool:
    return bool(_write(update(Notification).where(*_held(notification_id, worker)).values(
        email_status=SENT, sent_at=now, claimed_by=None, claimed_until=None, last_error="")))


def mark_failure(notification_id: int, worker: str, attempts: int, error: str, now: datetime, *,
                 permanent: bool = False) -> str | None:
    """Record a failed attempt (the ``attempts + 1``-th); returns the new status, or None if the
    claim was lost meanwhile."""
    attempt = attempts + 1
    status = FAILED if permanent or attempt >= MAX_ATTEMPTS else QUEUED
    error = error[:MAX_ERROR]
    try:
        changed = db.session.execute(update(Notification).where(*_held(notification_id, worker)).values(
            email_status=status, attempts=attempt, last_error=error, claimed_by=None, claimed_until=None,
            next_attempt_at=now + retry_delay(attempt) if status == QUEUED else None,
        ).execution_options(synchronize_session=False)).rowcount
        if changed:
            db.session.add(DeliveryFailure(notification_id=notification_id, at=now, attempt=attempt, error=error))
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        raise
    return status if changed else None


def release(ids: list[int], worker: str) -> None:
    """Hand messages back untouched: the next round sends them."""
    if ids:
        _write(update(Notification).where(Notification.id.in_(ids), Notification.claimed_by == worker)
               .values(claimed_by=None, claimed_until=None))


def _load(ids: list[int]) -> list[Notification]:
    return db.session.scalars(
        select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id).options(
            joinedload(Notification.user),
            joinedload(Notification.booking).joinedload(Booking.facility),
            joinedload(Notification.booking).joinedload(Booking.enterprise),
            joinedload(Notification.series).joinedload(Series.facility),
            joinedload(Notification.series).joinedload(Series.enterprise),
        )).unique().all()


@dataclass
class _Outgoing:
    id: int
    attempts: int
    message: Message | None = None
    problem: str = ""  # why it failed to render (retried) or can never go (permanent)
    permanent: bool = False


def _prepare(ids: list[int], now: datetime) -> list[_Outgoing]:
    """Render the claimed messages, then end the reading transaction: SMTP is slow."""
    outgoing = []
    try:
        for notification in _load(ids):
            item = _Outgoing(notification.id, notification.attempts)
            try:
                item.message = compose(notification, now)
            except Undeliverable as error:
                item.problem, item.permanent = str(error), True
            except SQLAlchemyError:
                raise
            except Exception as error:  # a bug in a template must not stop the other messages
                log.exception("cannot render notification %s", notification.id)
                item.problem = "rendering failed: " + _describe(error)
            outgoing.append(item)
    finally:
        db.session.rollback()  # nothing was written; this ends the transaction
    return outgoing


def deliver_batch(now: datetime, batch: int, worker: str, transport: SMTPTransport) -> Report:
    report = Report()
    forget_roles()  # a long-running worker must see today's managers, not those of its first batch
    ids = claim(now, batch, worker)
    report.claimed = len(ids)
    if not ids:
        return report
    deadline = time.monotonic() + LEASE.total_seconds() / 2
    outgoing = _prepare(ids, now)
    missing = set(ids) - {item.id for item in outgoing}  # deleted since (with their booking)
    for index, item in enumerate(outgoing):
        if item.message is None:
            status = mark_failure(item.id, worker, item.attempts, item.problem, now, permanent=item.permanent)
            _count(report, status)
            continue
        if time.monotonic() > deadline:  # slow server: leave the rest before the lease runs out
            release([i.id for i in outgoing[index:]], worker)
            break
        try:
            transport.send(item.message)
        except Unreachable as error:
            report.unreachable = str(error)
            _count(report, mark_failure(item.id, worker, item.attempts, str(error), now))
            release([i.id for i in outgoing[index + 1:]], worker)
            break
        except Refused as error:
            _count(report, mark_failure(item.id, worker, item.attempts, str(error), now,
                                        permanent=error.permanent))
            continue
        if mark_sent(item.id, worker, now):
            report.sent += 1
        else:
            report.lost += 1
            log.warning("notification %s was sent, but its claim had passed to another worker", item.id)
    release(sorted(missing), worker)
    return report


def _count(report: Report, status: str | None) -> None:
    if status == FAILED:
        report.failed += 1
    elif status == QUEUED:
        report.retrying += 1


def deliver(now: datetime | None = None, *, batch: int = 50, worker: str | None = None) -> Report:
    """Send every e-mail that is due, batch after batch, until none is left or the SMTP server
    cannot be reached. Ends the caller's transaction first (committing it): a delivery works in
    short transactions of its own. ``now`` fixes the clock (tests); None reads it per batch."""
    db.session.commit()
    worker = worker or new_worker_id()
    transport = SMTPTransport(current_app.config)
    total = Report()
    try:
        while True:
            report = deliver_batch(now or utcnow(), batch, worker, transport)
            total.add(report)
            if report.claimed == 0 or report.unreachable:
                break
    finally:
        transport.close()
    return total


def run_round(*, batch: int = 50, worker: str | None = None, now: datetime | None = None) -> tuple[dict, Report]:
    """One round of the worker: the time-triggered work (reminders and the like), then the e-mails."""
    from . import scan
    try:
        done = scan.run(now or utcnow())
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return done, deliver(now, batch=batch, worker=worker)


# --- the administrator's side ---------------------------------------------------------------

def requeue(actor, roles: Roles, notification_id: int, now: datetime | None = None) -> Notification:
    """Give a failed e-mail a fresh set of attempts, starting now (audited)."""
    if not roles.is_admin:
        raise Forbidden(_("Only administrators may do this."))
    notification = db.session.get(Notification, notification_id)
    if notification is None:
        raise NotFound(_("There is no such message."), code="unknown_notification")
    if notification.email_status != FAILED:
        raise InvalidTransition(_("Only failed e-mails can be queued again."))
    record(actor, "notification_requeued", "notification", notification.id, user_id=notification.user_id,
           attempts=notification.attempts, last_error=notification.last_error)
    notification.email_status = QUEUED
    notification.attempts = 0
    notification.next_attempt_at = now or utcnow()
    notification.claimed_by = notification.claimed_until = None
    db.session.flush()
    return notification
