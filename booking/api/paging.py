"""Paged lists: ``page`` and ``per_page`` in, the page's items with ``X-Total-Count`` and
RFC 8288 ``Link`` headers (first, prev, next, last; the caller's filters kept) out."""
from __future__ import annotations

from flask import request, url_for
from flask_babel import lazy_gettext as _l
from pydantic import Field

from ..extensions import db
from .schemas import Query

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
PAGE_HEADERS = {"Link": _l("RFC 8288 links to the first, previous, next and last pages"),
                "X-Total-Count": _l("the number of items in all pages")}


class Paging(Query):
    page: int = Field(1, ge=1, le=10**6)
    per_page: int = Field(DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)


def paged(statement, query: Paging, endpoint: str, **values) -> tuple[list, dict[str, str]]:
    """The items of the requested page of ``statement`` (ordered), and the headers that describe it."""
    page = db.paginate(statement, page=query.page, per_page=query.per_page, max_per_page=MAX_PER_PAGE,
                       error_out=False)
    headers = {"X-Total-Count": str(page.total)}
    links = page_links(page, endpoint, **values)
    if links:
        headers["Link"] = links
    return list(page.items), headers


def page_links(page, endpoint: str, **values) -> str:
    def link(number: int, rel: str) -> str:
        args = {**request.args.to_dict(), **values, "page": number, "per_page": page.per_page}
        return f'<{url_for(endpoint, _external=True, **args)}>; rel="{rel}"'

    links = []
    if page.has_prev:
        links += [link(1, "first"), link(min(page.prev_num, max(page.pages, 1)), "prev")]
    if page.has_next:
        links += [link(page.next_num, "next"), link(page.pages, "last")]
    return ", ".join(links)
