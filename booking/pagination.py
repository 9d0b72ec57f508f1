"""Numbered pages of a list (?page=N) in two statements whatever the table's size.

Counting every row of a long list (an enterprise's five years of bookings, the audit
log) costs more than showing one page of it, and nobody reads "page 3 of 3,107". The
count stops a few pages past the current one: beyond it the pager says "more than".
"""
from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from flask import current_app, request, url_for
from sqlalchemy import Select, func, select

from .extensions import db

COUNTED_PAGES = 20  # counted ahead of the current page


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int  # rows counted: all of them when ``exact``, a lower bound otherwise
    exact: bool = True

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


def paginate(query: Select, *, scalars: bool = True, per_page: int | None = None) -> Page:
    """The requested page of ``query``: one statement counts (up to a limit), one reads the rows."""
    per_page = per_page or current_app.config.get("PAGE_SIZE", 50)
    number = max(1, request.args.get("page", 1, type=int) or 1)
    limit = (number + COUNTED_PAGES) * per_page
    counted = db.session.scalar(select(func.count()).select_from(
        query.order_by(None).limit(limit + 1).subquery())) or 0
    rows = db.session.execute(query.limit(per_page).offset((number - 1) * per_page))
    items = list(rows.scalars().unique()) if scalars else list(rows)
    return Page(items=items, number=number, per_page=per_page, total=min(counted, limit),
                exact=counted <= limit)
