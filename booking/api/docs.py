"""The API's description: /api/v1/openapi.json for programs, /api/v1/docs for people.

Both are generated on each request from the operations' declarations (``spec``), in
the reader's language, and need no token.
"""
from __future__ import annotations

from flask import current_app, jsonify, render_template, request

from . import bp
from .spec import document, operations


def public(view):
    """A view of the API blueprint that answers without a token."""
    view.public = True
    return view


@bp.get("/openapi.json")
@public
def openapi_json():
    response = jsonify(document(current_app))
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/docs")
@public
def docs():
    spec = document(current_app)
    by_tag: dict[str, list] = {}
    for path, method, _endpoint, _op, _rule in operations(current_app):
        entry = spec["paths"][path][method]
        by_tag.setdefault(entry["tags"][0], []).append((method, path, entry))
    return render_template("api/docs.html", spec=spec, by_tag=by_tag)
