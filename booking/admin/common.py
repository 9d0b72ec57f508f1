"""The administration blueprint and what its handlers share."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from wtforms import Field, SelectChoice

from ..accounts.permissions import Roles, roles_of
from ..errors import InvalidInput
from ..extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")


def viewer() -> tuple:
    """The signed-in user and their roles, the first two arguments of every service call."""
    user = current_user._get_current_object()
    return user, roles_of(user)


def current_roles() -> Roles:
    return roles_of(current_user)


def show_error(form, error: InvalidInput, aliases: dict[str, str] | None = None) -> None:
    """Undo the service's partial work and show its message next to the field it names.

    ``aliases`` maps a service's field name to the form's where they differ.
    """
    db.session.rollback()
    name = (aliases or {}).get(error.field, error.field)
    target = getattr(form, name, None) if name else None
    if isinstance(target, Field):
        target.errors = [*target.errors, error.message]
    else:
        form.form_errors.append(error.message)


def form_status(*forms) -> int:
    """422 when a submitted form came back with errors, 200 otherwise."""
    return 422 if any(form.errors for form in forms) else 200


def choices(objects, label=lambda o: o.display_name) -> list[SelectChoice]:
    """Database rows as select options, valued by id."""
    return [SelectChoice(o.id, label(o)) for o in objects]


def none_choice(label: str) -> list[SelectChoice]:
    """The leading "none" option (value 0) of an optional choice of a row."""
    return [SelectChoice(0, label)]
