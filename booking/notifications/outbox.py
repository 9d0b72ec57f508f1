"""The administrator's view of the e-mail outbox: what waits, what failed and why, and a way to
queue a failed message again."""
from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..accounts.permissions import roles_of
from ..errors import InvalidTransition
from ..extensions import db
from . import delivery
from .models import FAILED, QUEUED, SENT, DeliveryFailure, Notification

bp = Blueprint("outbox", __name__, url_prefix="/admin/outbox")

# Rows per list; the counts say how many there are in all.
SHOWN = 100
# Failed attempts shown per message (the newest).
SHOWN_FAILURES = 5


def _require_admin():
    roles = roles_of(current_user)
    if not roles.is_admin:
        abort(403)
    return roles


@bp.get("")
@login_required
def index():
    _require_admin()
    counts = dict(db.session.execute(select(Notification.email_status, func.count(Notification.id))
                                     .group_by(Notification.email_status)).all())
    listed = (select(Notification).options(joinedload(Notification.user)).limit(SHOWN))
    failed = db.session.scalars(listed.where(Notification.email_status == FAILED)
                                .order_by(Notification.created_at.desc(), Notification.id.desc())).all()
    waiting = db.session.scalars(listed.where(Notification.email_status == QUEUED)
                                 .order_by(Notification.next_attempt_at, Notification.id)).all()
    failures = defaultdict(list)
    ids = [n.id for n in failed + waiting if n.attempts]
    if ids:
        for failure in db.session.scalars(select(DeliveryFailure).where(DeliveryFailure.notification_id.in_(ids))
                                          .order_by(DeliveryFailure.at.desc(), DeliveryFailure.id.desc())):
            if len(failures[failure.notification_id]) < SHOWN_FAILURES:
                failures[failure.notification_id].append(failure)
    return render_template("notifications/outbox.html", counts=counts, failed=failed, waiting=waiting,
                           failures=failures, shown=SHOWN, email_statuses=(QUEUED, SENT, FAILED),
                           max_attempts=delivery.MAX_ATTEMPTS)


@bp.post("/<int:notification_id>/requeue")
@login_required
def requeue(notification_id: int):
    roles = _require_admin()
    try:
        delivery.requeue(current_user, roles, notification_id)
    except InvalidTransition as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("outbox.index"))
    db.session.commit()
    flash(_("The e-mail is queued again; the next round of the worker sends it."), "success")
    return redirect(url_for("outbox.index"))
