"""The words of a notification, rendered in the current locale when shown or sent.

``summary(notification)`` returns a Summary with a one-line ``title``, a short plain-text
``body`` and the ``url`` (a path) of what it is about. Callers choose the language by wrapping
the call in ``flask_babel.force_locale``; times are shown in the facility's time zone.

Only the notification's booking or series (and their facility and enterprise) are loaded;
everything else comes from ``params``, so a message still reads sensibly when its booking or
series is gone. The params read, by kind (all optional):

- request_submitted: ``count``, ``over_quota``
- approved: ``count``
- rejected: ``count``, ``reason``, ``lost_to`` (the booking that got the slot)
- cancelled: ``count``, ``reason``, ``by_manager``, ``late``
- any message about a series: ``start`` (ISO 8601), the first date concerned (default: the series' first)
- pending_expiring: ``count``
- reminder: none (the booking)
- waitlist_freed: ``entry_id``, ``facility_id``, ``start``, ``end`` (ISO 8601), ``position``
  (1 = first in line), ``booking_id`` (a request made automatically), ``refusal`` ({code, message}:
  why no request could be made automatically)
- series_ending: ``last`` (ISO 8601 instant or date of the last occurrence), ``count``
- quota_nearly_used: ``quota_id``, ``used``, ``limit``, ``unit`` ("hours" | "bookings"),
  ``period_start``, ``period_end`` (ISO 8601 dates or instants), ``facility_id``,
  ``facility_name``/``facility_name_en`` or ``kind`` (a facility kind code) with
  ``chain_name``/``chain_name_en``, ``enterprise_name``/``enterprise_name_en``, ``peak_only``;
  a ``period_end`` instant is exclusive (the next period's start)

``url`` is a path (relative to the site root); outside a request it is still the right path.
A facility named only by ``facility_id`` is looked up with ``session.get`` (no query when the
caller preloaded it, as the notification centre does).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from .. import i18n
from ..bookings.reasons import shown
from ..extensions import db
from ..facilities.models import Facility
from ..facilities.models import KINDS as FACILITY_KINDS
from ..timeutil import parse_iso, zone
from . import models as kinds


@dataclass
class Summary:
    title: str
    body: str
    url: str | None


def summary(notification) -> Summary:
    render = _RENDERERS.get(notification.kind)
    params = notification.params if isinstance(notification.params, dict) else {}
    context = _Context(notification, params)
    if render is None:
        return Summary(notification.kind_label, "", context.default_url())
    title, body, url = render(context)
    return Summary(title, body, url)


class _Context:
    """What a renderer needs, loaded at most once."""

    def __init__(self, notification, params: dict):
        self.n = notification
        self.params = params
        # A many-to-one with a null key loads nothing: these cost a query only when there is something to load.
        self.booking = notification.booking
        self.series = notification.series
        self._facility = False

    # --- facts -------------------------------------------------------------------------------
    @property
    def count(self) -> int:
        try:
            return max(1, int(self.params.get("count") or 1))
        except (TypeError, ValueError):
            return 1

    @property
    def facility(self):
        if self._facility is False:
            facility = None
            if self.booking is not None:
                facility = self.booking.facility
            elif self.series is not None:
                facility = self.series.facility
            else:
                facility_id = self.params.get("facility_id")
                if isinstance(facility_id, int):
                    facility = db.session.get(Facility, facility_id)
            self._facility = facility
        return self._facility

    @property
    def tz(self):
        facility = self.facility
        if facility is not None:
            return facility.tz
        return zone(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")

    def facility_name(self) -> str:
        facility = self.facility
        if facility is not None:
            return facility.display_name
        return _localised(self.params, "facility_name") or _("a facility")

    def enterprise_name(self) -> str:
        subject = self.booking or self.series
        if subject is not None:
            return subject.enterprise.display_name
        return _localised(self.params, "enterprise_name")

    def when(self) -> str:
        """The booking's time ("11-24 09:00–12:00"), or the series' first date."""
        if self.booking is not None:
            return interval(self.booking.start_at, self.booking.end_at, self.tz)
        if self.series is not None:
            first = _instant(self.params.get("start"))  # the first date concerned, where the caller says it
            return moment(first or self.series.dtstart, self.tz)
        start, end = _instant(self.params.get("start")), _instant(self.params.get("end"))
        if start and end:
            return interval(start, end, self.tz)
        return ""

    # --- links -------------------------------------------------------------------------------
    def booking_url(self, booking_id=None) -> str | None:
        if booking_id is None:
            booking_id = self.booking.id if self.booking is not None else self.n.booking_id
        if not isinstance(booking_id, int):
            return None
        return _url("bookings.detail", f"/bookings/{booking_id}", booking_id=booking_id)

    def series_url(self) -> str | None:
        series_id = self.series.id if self.series is not None else self.n.series_id
        if not isinstance(series_id, int):
            return None
        return _url("notifications.series", f"/notifications/series/{series_id}", series_id=series_id)

    def default_url(self) -> str | None:
        return self.booking_url() or self.series_url()


def _language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else ""


def _instant(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_iso(value)
    except ValueError:
        return None


def _day(value) -> date | datetime | None:
    """An ISO instant (kept as an instant) or a plain date."""
    instant = _instant(value)
    if instant is not None:
        return instant
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def moment(value: datetime, tz) -> str:
    """A short instant in the reader's locale: "11-24 09:00", "24 Nov 09:00"."""
    return i18n.moment(value, tz, "short")


def interval(start: datetime, end: datetime, tz) -> str:
    return i18n.span(start, end, tz, "short")


def _day_text(value, tz, exclusive: bool = False) -> str:
    """A day; ``exclusive``: an instant that ends a period (the next period's midnight) names the last day."""
    value = _day(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        if exclusive:
            value -= timedelta(seconds=1)
        return i18n.moment(value, tz, "date")
    return i18n.moment(value, None, "date")


def _localised(params: dict, key: str) -> str:
    """``params[key]``, or its English twin ``key + "_en"`` on English pages."""
    english = params.get(key + "_en")
    if english and _language() == "en":
        return str(english)
    return str(params.get(key) or english or "")


def _number(value) -> str:
    if value is None:
        return "?"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return str(int(number)) if number == int(number) else f"{number:.1f}"


def _reason_line(reason) -> str:
    return _("Reason: %(reason)s", reason=shown(reason)) if reason else ""


def _join(*lines: str) -> str:
    return "\n".join(line for line in lines if line)


# --- one renderer per kind: (title, body, url) --------------------------------------------------

def _request_submitted(c: _Context):
    facility, enterprise = c.facility_name(), c.enterprise_name()
    if c.series is not None or c.count > 1:
        title = ngettext("New recurring request: %(num)d date from %(start)s at %(facility)s",
                         "New recurring request: %(num)d dates from %(start)s at %(facility)s",
                         c.count, start=c.when(), facility=facility)
    else:
        title = _("New request: %(facility)s, %(when)s", facility=facility, when=c.when())
    if enterprise:
        title += " (" + enterprise + ")"
    purpose = (c.booking or c.series).purpose if (c.booking or c.series) is not None else ""
    body = _join(
        _("It overruns a quota of the enterprise: approving it is an exception.")
        if c.params.get("over_quota") else "",
        _("Purpose: %(purpose)s", purpose=purpose) if purpose else "",
        _("It waits for your approval."))
    return title, body, c.booking_url() or c.series_url()


def _approved(c: _Context):
    if c.series is not None or c.count > 1:
        title = ngettext("Approved: %(num)d date of the recurring booking at %(facility)s from %(start)s",
                         "Approved: %(num)d dates of the recurring booking at %(facility)s from %(start)s",
                         c.count, facility=c.facility_name(), start=c.when())
    else:
        title = _("Approved: %(facility)s, %(when)s", facility=c.facility_name(), when=c.when())
    return title, _("The slot is yours."), c.default_url()


def _rejected(c: _Context):
    if c.series is not None or c.count > 1:
        title = ngettext("Rejected: %(num)d date of the recurring request at %(facility)s from %(start)s",
                         "Rejected: %(num)d dates of the recurring request at %(facility)s from %(start)s",
                         c.count, facility=c.facility_name(), start=c.when())
    else:
        title = _("Rejected: %(facility)s, %(when)s", facility=c.facility_name(), when=c.when())
    body = _join(_("The slot was given to another request.") if c.params.get("lost_to") else "",
                 _reason_line(c.params.get("reason")))
    return title, body, c.default_url()


def _cancelled(c: _Context):
    if c.series is not None and not c.params.get("start"):  # perhaps only the later dates: no "from"
        title = ngettext("Cancelled: %(num)d date of the recurring booking at %(facility)s",
                         "Cancelled: %(num)d dates of the recurring booking at %(facility)s",
                         c.count, facility=c.facility_name())
    elif c.series is not None or c.count > 1:
        title = ngettext("Cancelled: %(num)d date of the recurring booking at %(facility)s from %(start)s",
                         "Cancelled: %(num)d dates of the recurring booking at %(facility)s from %(start)s",
                         c.count, facility=c.facility_name(), start=c.when())
    else:
        title = _("Cancelled: %(facility)s, %(when)s", facility=c.facility_name(), when=c.when())
    enterprise = c.enterprise_name()
    if c.params.get("by_manager"):
        who = _("Cancelled by the facility's manager.")
    elif enterprise:
        who = _("Cancelled by %(enterprise)s.", enterprise=enterprise)
    else:
        who = _("Cancelled by the enterprise.")
    body = _join(who, _reason_line(c.params.get("reason")),
                 _("Late: a fee may apply.") if c.params.get("late") else "")
    return title, body, c.default_url()


def _pending_expiring(c: _Context):
    if c.series is not None or c.count > 1:
        title = ngettext("Still unanswered: %(num)d date at %(facility)s from %(start)s",
                         "Still unanswered: %(num)d dates at %(facility)s from %(start)s",
                         c.count, facility=c.facility_name(), start=c.when())
    else:
        title = _("Still unanswered: %(facility)s, %(when)s", facility=c.facility_name(), when=c.when())
    subject = c.booking or c.series
    if subject is not None and subject.requester_id == c.n.user_id:  # the requester is told too
        body = _("Your request has not been decided yet; without a decision before it starts it lapses.")
    else:
        enterprise = c.enterprise_name()
        body = _join(_("Requested by %(enterprise)s.", enterprise=enterprise) if enterprise else "",
                     _("Approve or reject it before it starts, or it lapses unanswered."))
    return title, body, c.default_url()


def _reminder(c: _Context):
    if c.booking is not None:
        start = moment(c.booking.start_at, c.tz)
    else:
        instant = _instant(c.params.get("start"))
        start = moment(instant, c.tz) if instant else ""
    title = _("Reminder: %(facility)s starts at %(start)s", facility=c.facility_name(), start=start)
    body = _("Check in when you arrive; cancel in time if you no longer need it.")
    return title, body, c.default_url()


def _waitlist_freed(c: _Context):
    start, end = _instant(c.params.get("start")), _instant(c.params.get("end"))
    when = interval(start, end, c.tz) if start and end else c.when() if c.booking is not None else ""
    facility = c.facility_name()
    title = (_("A slot you wait for is free: %(facility)s, %(when)s", facility=facility, when=when) if when
             else _("A slot you wait for is free at %(facility)s", facility=facility))
    booking_id = c.params.get("booking_id")
    if isinstance(booking_id, int):
        body = _("A request was made for you automatically; it waits for the manager's approval.")
        return title, body, c.booking_url(booking_id)
    position = c.params.get("position")
    lines = []
    refusal = c.params.get("refusal")
    if isinstance(refusal, dict) and refusal.get("message"):
        lines.append(_("No request could be made for you automatically: %(why)s", why=refusal["message"]))
    if isinstance(position, int) and position > 0:
        lines.append(_("You are first in line.") if position == 1
                     else _("You are number %(position)d in line.", position=position))
    lines.append(_("Request it now: whoever asks first gets it."))
    return title, _join(*lines), _waitlist_url()


def _waitlist_url() -> str:
    return _url("waitlist.index", "/waitlist")


def _url(endpoint: str, fallback: str, **values) -> str:
    """The page's path; outside a request (no SERVER_NAME) or before the endpoint exists, the known path."""
    try:
        return url_for(endpoint, **values)
    except (BuildError, RuntimeError):
        return fallback


def _series_ending(c: _Context):
    last = _day_text(c.params.get("last"), c.tz)
    facility = c.facility_name()
    title = (_("Your recurring booking at %(facility)s ends soon: last date %(last)s", facility=facility, last=last)
             if last else _("Your recurring booking at %(facility)s ends soon", facility=facility))
    body = _("Request a new series if you still need the slot.")
    return title, body, c.default_url()


def _quota_nearly_used(c: _Context):
    p = c.params
    name = ""
    if c.facility is not None or p.get("facility_name"):
        name = c.facility_name()
    elif p.get("kind"):
        name = str(FACILITY_KINDS.get(p["kind"], p["kind"]))
        chain = _localised(p, "chain_name")
        if chain:
            name = _("%(kind)s in %(chain)s", kind=name, chain=chain)
    used, limit = _number(p.get("used")), _number(p.get("limit"))
    if p.get("unit") == "bookings":
        amount = _("%(used)s of %(limit)s bookings", used=used, limit=limit)
    else:
        amount = _("%(used)s of %(limit)s hours", used=used, limit=limit)
    title = (_("Quota nearly used: %(amount)s at %(name)s", amount=amount, name=name) if name
             else _("Quota nearly used: %(amount)s", amount=amount))
    start, end = _day_text(p.get("period_start"), c.tz), _day_text(p.get("period_end"), c.tz, exclusive=True)
    enterprise = _localised(p, "enterprise_name")
    lines = []
    if enterprise:
        lines.append(_("Used by %(enterprise)s, all members together.", enterprise=enterprise))
    if start and end:
        lines.append(_("Period: %(start)s to %(end)s", start=start, end=end))
    if p.get("peak_only"):
        lines.append(_("Only peak hours count."))
    lines.append(_("Requests beyond the quota may be refused or need an exception."))
    return title, _join(*lines), None


_RENDERERS = {
    kinds.REQUEST_SUBMITTED: _request_submitted,
    kinds.APPROVED: _approved,
    kinds.REJECTED: _rejected,
    kinds.CANCELLED: _cancelled,
    kinds.PENDING_EXPIRING: _pending_expiring,
    kinds.REMINDER: _reminder,
    kinds.WAITLIST_FREED: _waitlist_freed,
    kinds.SERIES_ENDING: _series_ending,
    kinds.QUOTA_NEARLY_USED: _quota_nearly_used,
}
