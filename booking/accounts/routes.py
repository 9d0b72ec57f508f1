from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..errors import InvalidInput
from ..extensions import db
from . import services
from .forms import LanguageForm, LoginForm, PasswordForm

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


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(safe_next(form.next.data, url_for("bookings.home")))
