"""The administration blueprint and what its handlers share."""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from flask import Blueprint, current_app, request, url_for
from flask_login import current_user
from sqlalchemy import Select, func, select
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


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def url(self, number: int) -> str:
        """This page's address with another page number, keeping the search and filters."""
        args = {**(request.view_args or {}), **request.args.to_dict(), "page": number}
        return url_for(request.endpoint, **args)


def paginate(query: Select, *, scalars: bool = True) -> Page:
    """One page of ``query`` (?page=N) in two statements: the count and the rows."""
    per_page = current_app.config.get("PAGE_SIZE", 50)
    number = max(1, request.args.get("page", 1, type=int) or 1)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.execute(query.limit(per_page).offset((number - 1) * per_page))
    items = list(rows.scalars()) if scalars else list(rows)
    return Page(items=items, number=number, per_page=per_page, total=total or 0)


def choices(objects, label=lambda o: o.display_name) -> list[SelectChoice]:
    """Database rows as select options, valued by id."""
    return [SelectChoice(o.id, label(o)) for o in objects]


def none_choice(label: str) -> list[SelectChoice]:
    """The leading "none" option (value 0) of an optional choice of a row."""
    return [SelectChoice(0, label)]
