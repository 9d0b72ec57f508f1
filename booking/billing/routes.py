"""Pages of billing: an enterprise's monthly statement, as a page, a CSV and an XLSX file."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, Response, render_template, request
from flask_babel import format_decimal
from flask_login import current_user, login_required

from ..accounts.permissions import roles_of
from . import exports, statements
from .charges import CHARGE_KINDS

bp = Blueprint("billing", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_template_filter("two_places")
def two_places(value: Decimal | None) -> str:
    """1234.5 → "1,234.50": hours and quantities as the statement shows them."""
    return "" if value is None else format_decimal(value, format="#,##0.00")


def _statement(enterprise_id: int) -> statements.Statement:
    roles = roles_of(current_user)
    enterprise = statements.get_statement_enterprise(roles, enterprise_id)
    month = statements.parse_month(request.args.get("month"))
    return statements.monthly_statement(roles, enterprise, month)


@bp.get("/enterprises/<int:enterprise_id>/statement")
@login_required
def statement(enterprise_id: int):
    return render_template("billing/statement.html", statement=_statement(enterprise_id),
                           charge_kinds=CHARGE_KINDS)


@bp.get("/enterprises/<int:enterprise_id>/statement.csv")
@login_required
def statement_csv(enterprise_id: int):
    found = _statement(enterprise_id)
    return _download(exports.to_csv(found), "text/csv; charset=utf-8", found, "csv")


@bp.get("/enterprises/<int:enterprise_id>/statement.xlsx")
@login_required
def statement_xlsx(enterprise_id: int):
    found = _statement(enterprise_id)
    return _download(exports.to_xlsx(found), XLSX, found, "xlsx")


def _download(body: bytes, content_type: str, found: statements.Statement, extension: str) -> Response:
    name = f"statement-{found.enterprise.id}-{found.label}.{extension}"
    return Response(body, content_type=content_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "private, no-store"})
