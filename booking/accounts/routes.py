from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import SelectChoice

from ..errors import InvalidInput
from ..extensions import db
from ..timeutil import utcnow
from . import services
from .forms import TOKEN_SCOPES, LanguageForm, LoginForm, PasswordForm, TokenForm
from .permissions import roles_of

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None, default: str) -> str:
    """Only same-site paths: a crafted ?next= never sends anyone elsewhere."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("bookings.home"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        guard = current_app.extensions.get("login_guard")
        try:
            user = services.authenticate(form.email.data, form.password.data, guard)
        except services.SignInLocked as error:
            form.password.errors.append(error.message)
            return (render_template("accounts/login.html", form=form), error.status,
                    {"Retry-After": str(guard.minutes * 60)})
        if user is None:
            db.session.commit()  # the audit entry of a lock-out, if this failure caused one
            form.password.errors.append(_("The e-mail or the password is not correct."))
        else:
            login_user(user, remember=form.remember.data)
            db.session.commit()
            return redirect(safe_next(form.next.data, url_for("bookings.home")))
    return render_template("accounts/login.html", form=form), 200 if request.method == "GET" or not form.errors else 422


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except InvalidInput as error:
            getattr(form, error.field or "new_password").errors.append(error.message)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # this session continues, new version
            flash(_("Your password has been changed; other sessions have been signed out."), "success")
            return redirect(url_for("bookings.home"))
    return render_template("accounts/password.html", form=form), 422 if form.errors else 200


@bp.get("/account/tokens")
@login_required
def tokens():
    return _tokens_page(_token_form(formdata=None))


@bp.post("/account/tokens")
@login_required
def token_create():
    """The secret is in this one answer (not stored, not flashed into the session cookie)."""
    form = _token_form()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        days = form.expires_in_days.data
        try:
            token, secret = services.issue_api_token(user, roles_of(user), form.name.data, form.scopes.data,
                                                     expires_at=utcnow() + timedelta(days=days) if days else None)
        except InvalidInput as error:
            db.session.rollback()
            target = {"scopes": form.scopes, "expires_at": form.expires_in_days}.get(error.field, form.name)
            target.errors = [*target.errors, error.message]
        else:
            db.session.commit()
            page, status = _tokens_page(_token_form(formdata=None), created=token, secret=secret)
            return page, status, {"Cache-Control": "no-store"}
    return _tokens_page(form)


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    user = current_user._get_current_object()
    services.revoke_api_token(user, services.get_api_token(user, token_id))
    db.session.commit()
    flash(_("The token has been revoked; it no longer works."), "success")
    return redirect(url_for("accounts.tokens"))


def _token_form(**kwargs) -> TokenForm:
    """The form with the scopes this user may give a token."""
    form = TokenForm(**kwargs)
    allowed = [scope for scope in services.SCOPES
               if scope != "admin" or services.may_have_admin_scope(roles_of(current_user))]
    form.scopes.choices = [SelectChoice(scope, str(TOKEN_SCOPES[scope])) for scope in allowed]
    return form


def _tokens_page(form: TokenForm, **created):
    now = utcnow()
    rows = [{"token": t, "state": services.token_state(t, now)} for t in services.list_api_tokens(current_user)]
    return render_template("accounts/tokens.html", form=form, rows=rows, **created), 422 if form.errors else 200


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(safe_next(form.next.data, url_for("bookings.home")))
