"""The named steps of the application factory."""
from __future__ import annotations

import os

from flask import Flask, g, has_request_context, jsonify, render_template, request, session
from flask_babel import ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from .db import configure_engine, set_read_only_transactions
from .errors import DomainError
from .extensions import babel, csrf, db, login_manager, mail, migrate

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Scripts and styles come only from /static: no inline script, no inline style attribute
# (the e-mail template's inline styles are for mail readers, never served under this policy).
# Chart sizes set from JavaScript (element.style) are not affected by style-src.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
))
HSTS = "max-age=31536000; includeSubDomains"
WEEKDAY_NAMES = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
CELL_STATES = {"free": _l("Free"), "past": _l("Too late to book"), "closed": _l("Not bookable"),
               "closure": _l("Closed"), "booked": _l("Booked"), "pending": _l("Requested"), "mine": _l("Ours")}


def select_locale() -> str:
    """Pages: the signed-in user's choice, else this browser session's, else the browser's
    languages (any Chinese, zh-TW or zh-HK too, reads zh_CN before English), else zh_CN.
    The API, which has no session: the request's Accept-Language, else the token owner's choice."""
    languages = current_app_languages()
    if not has_request_context():
        return languages[0]
    if request.path.startswith("/api/"):
        user = g.get("api_user")
        return browser_locale(languages) or (user.locale if user and user.locale in languages else languages[0])
    if current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    return browser_locale(languages) or languages[0]


def browser_locale(languages: tuple[str, ...]) -> str | None:
    """The first of the browser's Accept-Language entries, by quality, that one of ``languages``
    speaks: matched by the language alone, so zh-Hant-TW reads zh_CN and en-GB reads en."""
    by_language = {}
    for code in languages:
        by_language.setdefault(code.replace("-", "_").split("_")[0].lower(), code)
    for wanted, quality in request.accept_languages:
        found = by_language.get(wanted.replace("-", "_").split("_")[0].lower())
        if found and quality > 0:
            return found
    return None


def current_app_languages() -> tuple[str, ...]:
    from flask import current_app
    return tuple(current_app.config["LANGUAGES"])


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                    render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    mail.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_BUSY_TIMEOUT"])

    from . import models  # noqa: F401 - every model registered before the first query
    from .accounts.models import User

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, version = session_id.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or user.session_version != int(version) or not user.active:
            return None
        return user

    @app.before_request
    def _transaction_mode():
        # API writes authenticate first, outside SQLite's write lock: their views call begin_writing().
        reads_first = request.blueprint == "api" and db.engine.dialect.name == "sqlite"
        set_read_only_transactions(request.method in SAFE_METHODS or reads_first)

    @app.teardown_request
    def _reset_transaction_mode(_exc):
        set_read_only_transactions(False)


def register_security(app: Flask) -> None:
    """Trusted proxies, cookie flags and the security headers of every response."""
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    if app.config.get("SECURE_COOKIES"):
        app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = True

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:  # a browser ignores HSTS over http; sending it there only misleads
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response


def register_rate_limits(app: Flask) -> None:
    """One Limiter per application (its storage and settings are per instance): the API per
    token, the sign-in form per address, and failed sign-ins per e-mail (the lock-out)."""
    if not app.config.get("RATELIMIT_ENABLED", True):
        return
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    from .accounts.routes import bp as accounts
    from .accounts.services import LoginGuard
    from .api import bp as api
    from .api.auth import rate_limit_key

    limiter = Limiter(key_func=get_remote_address, storage_uri=app.config["RATELIMIT_STORAGE_URI"])
    limiter.init_app(app)
    limiter.limit(app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(api)
    limiter.limit(app.config["LOGIN_RATE_LIMIT"], methods=["POST"],
                  exempt_when=lambda: request.endpoint != "accounts.login")(accounts)
    app.extensions["login_guard"] = LoginGuard(limiter, app.config["LOGIN_LOCKOUT_ATTEMPTS"],
                                               app.config["LOGIN_LOCKOUT_MINUTES"])


class DatabaseInt(IntegerConverter):
    """``<int:id>`` that stops at the database's integer range: a huge id is a 404, not a 500."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits, min, max, signed)


def register_blueprints(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseInt
    from .accounts.routes import bp as accounts
    from .admin.routes import bp as admin
    from .api import bp as api
    from .api.docs import pages as api_docs
    from .audit.routes import bp as audit
    from .billing.routes import bp as billing
    from .bookings.routes import bp as bookings
    from .calendar.routes import bp as calendar
    from .health import bp as health
    from .notifications.actions import bp as actions
    from .notifications.outbox import bp as outbox
    from .notifications.routes import bp as notifications
    from .reports.routes import bp as reports
    from .schedule.routes import bp as schedule
    from .usage.routes import bp as usage
    from .waitlist.routes import bp as waitlist

    for blueprint in (accounts, schedule, bookings, usage, billing, calendar, reports, admin, notifications,
                      actions, outbox, waitlist, audit, api_docs, health):
        app.register_blueprint(blueprint)
    csrf.exempt(actions)  # the signed token in the link is the secret: a cross-site form cannot know it
    csrf.exempt(api)  # bearer tokens, no cookies: nothing for CSRF to protect
    app.register_blueprint(api)


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, details: dict | None = None):
    if wants_json():
        return jsonify(error={"code": code, "message": message, "details": details or {}}), status
    return render_template("errors/error.html", status=status, message=message), status


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        db.session.rollback()
        return error_response(error.status, error.code, error.message,
                              {**error.details, **({"field": error.field} if error.field else {})})

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if isinstance(error, MethodNotAllowed) and not _path_exists(error.valid_methods or ()):
            error = NotFound()
        messages = {
            400: _("The request could not be understood."),
            401: _("Please sign in."),
            403: _("You are not allowed to do this."),
            404: _("There is nothing here."),
            405: _("This method is not allowed here."),
            413: _("The upload is too large: send at most %(size)d MB.",
                   size=max(1, (app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024))),
            429: _("Too many requests; please wait a moment."),
        }
        code = "rate_limited" if error.code == 429 else (error.name or "error").lower().replace(" ", "_")
        message = messages.get(error.code or 500, error.description or error.name)
        if error.code == 400 and error.description and "CSRF" in error.description:
            message = _("The form has expired; please reload the page and try again.")
            code = "csrf"
        body, status = error_response(error.code or 500, code, message)
        # What the exception says beyond its page, e.g. the Allow header that RFC 9110 requires with a 405.
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        return body, status, headers

    def _path_exists(methods) -> bool:
        """Whether the request's path answers one of ``methods``. Werkzeug says 405 as soon as another
        method's rule has the same shape, before an ``<int:...>`` beyond the database's range fails
        (``DatabaseInt``): /api/v1/quotas/2147483648 exists for no method, so it is a 404."""
        adapter = app.url_map.bind_to_environ(request.environ)
        for method in methods:
            try:
                adapter.match(method=method)
                return True
            except (NotFound, MethodNotAllowed):
                continue
            except HTTPException:  # a redirect: the path exists elsewhere
                return True
        return False

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error")
        return error_response(500, "internal_error", _("Something went wrong on our side."))


def register_template_helpers(app: Flask) -> None:
    from . import i18n
    from .bookings import reasons
    from .timeutil import iso

    @app.template_filter("localtime")
    def localtime(value, tzname: str | None = None, style: str = "datetime") -> str:
        """A date or an instant in the facility's zone (default: the app's), in the reader's locale:
        ``style`` is one of i18n.PATTERNS (datetime, date, day, time, short, short_date, month)."""
        return i18n.moment(value, tzname, style)

    @app.template_filter("timespan")
    def timespan(start, end, tzname: str | None = None, style: str = "datetime") -> str:
        return i18n.span(start, end, tzname, style)

    app.add_template_filter(iso, "iso")

    @app.template_filter("unit")
    def unit(code: str | None) -> str:
        from .facilities.models import OUTPUT_UNITS
        return str(OUTPUT_UNITS.get(code or "", code or ""))

    @app.template_filter("duration")
    def duration(minutes: int) -> str:
        """1440 → "1 day", 90 → "90 minutes": durations as people say them."""
        if minutes and minutes % 1440 == 0:
            return ngettext("%(num)d day", "%(num)d days", minutes // 1440)
        if minutes and minutes % 60 == 0:
            return ngettext("%(num)d hour", "%(num)d hours", minutes // 60)
        return ngettext("%(num)d minute", "%(num)d minutes", minutes)

    app.add_template_filter(reasons.shown, "reason")
    app.add_template_filter(i18n.money, "money")
    app.add_template_filter(i18n.number, "number")

    @app.context_processor
    def _globals():
        from .accounts.permissions import roles_of
        from .bookings.models import STATUSES
        from .facilities.models import RATE_UNITS
        # The labels are translated once per page here: a lazy string translates itself at every use
        # (a chain's day view shows a state in each of its hundreds of cells).
        return {"current_locale": select_locale(), "roles": roles_of(current_user), "statuses": resolved(STATUSES),
                "rate_units": resolved(RATE_UNITS), "weekday_names": [str(n) for n in WEEKDAY_NAMES],
                "states": resolved(CELL_STATES)}


def resolved(labels: dict) -> dict:
    """A dict of lazy labels translated now, in the request's language."""
    return {key: str(label) for key, label in labels.items()}


def register_commands(app: Flask) -> None:
    from .cli import commands
    for command in commands:
        app.cli.add_command(command)

