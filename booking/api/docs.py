"""The API's description: /api/v1/openapi.json for programs, /developers/api for people.

Both are generated on each request from the operations' declarations (``spec``), in
the reader's language, and need no token. The page lives outside /api/v1, which
never touches the session, because the site's layout does.
"""
from __future__ import annotations

from typing import Any

import re

from flask import Blueprint, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from . import bp
from .spec import document, operations

pages = Blueprint("api_docs", __name__)
# Where a parameter goes, as the reference page says it.
PLACES = {"path": _l("path"), "query": _l("query string"), "header": _l("header")}
_CODE = re.compile(r"`([^`]+)`")


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


@pages.get("/developers/api")
def reference():
    spec = document(current_app)
    by_tag: dict[str, list] = {tag["name"]: [] for tag in spec["tags"]}
    for path, method, _endpoint, _op, _rule in operations(current_app):
        entry = spec["paths"][path][method]
        by_tag[entry["tags"][0]].append((method, path, entry))
    return render_template("api/docs.html", spec=spec, by_tag=by_tag, type_of=type_of,
                           tag_text={tag["name"]: tag["description"] for tag in spec["tags"]},
                           schemas=spec["components"]["schemas"], prose=prose, places=PLACES)


def prose(text: str | None) -> Markup:
    """A description as HTML: CommonMark's `code` spans (field names, values) as <code>."""
    return Markup(_CODE.sub(lambda m: f"<code>{m[1]}</code>", str(escape(text or ""))))


def type_of(schema: dict[str, Any]) -> list[tuple[str, str | None]]:
    """A schema as readable parts: (text, name of the component it links to, or None)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [(name, name)]
    if "anyOf" in schema or "oneOf" in schema:
        parts: list[tuple[str, str | None]] = []
        for branch in schema.get("anyOf", schema.get("oneOf", [])):
            if parts:
                parts.append((" | ", None))
            parts += type_of(branch)
        return parts
    if "enum" in schema:
        return [(" | ".join(map(str, schema["enum"])), None)]
    kind = schema.get("type", "")
    if kind == "array":
        return [(_("list of") + " ", None), *type_of(schema.get("items", {}))]
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return [(_("map of") + " ", None), *type_of(schema["additionalProperties"])]
    if "format" in schema:
        return [(f"{kind} ({schema['format']})", None)]
    return [(str(kind or _("any")), None)]
