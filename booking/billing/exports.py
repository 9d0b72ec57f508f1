"""A monthly statement as CSV and XLSX: the page's lines, subtotals and totals, number for number."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from ..facilities.models import OUTPUT_UNITS, RATE_UNITS
from .charges import CHARGE_KINDS
from .statements import Line, Statement, Sums

# Column kinds: how a cell is written to XLSX.
TEXT, DATE, INTEGER, MONEY, PERCENT = "text", "date", "integer", "money", "percent"
COLUMNS = (
    ("date", DATE), ("booking", INTEGER), ("facility", TEXT), ("status", TEXT), ("booked", TEXT),
    ("actual", TEXT), ("billable_hours", MONEY), ("billable_quantity", MONEY), ("unit", TEXT), ("rate", MONEY),
    ("rate_unit", TEXT), ("amount", MONEY), ("reference_amount", MONEY), ("savings", MONEY),
    ("savings_percent", PERCENT), ("fees", MONEY), ("fee_kinds", TEXT), ("currency", TEXT),
)
FORMATS = {DATE: "yyyy-mm-dd", MONEY: "0.00", PERCENT: "0.0"}


def headers() -> list[str]:
    names = {
        "date": _("Date"), "booking": _("Booking no."), "facility": _("Facility"), "status": _("Status"),
        "booked": _("Booked time"), "actual": _("Actual time"), "billable_hours": _("Billable hours"),
        "billable_quantity": _("Billable quantity"), "unit": _("Unit"), "rate": _("Shared rate"),
        "rate_unit": _("Rate unit"), "amount": _("Shared amount"), "reference_amount": _("Reference amount"),
        "savings": _("Savings"), "savings_percent": _("Savings rate (%)"), "fees": _("Fees"),
        "fee_kinds": _("Fee"), "currency": _("Currency"),
    }
    return [names[name] for name, _kind in COLUMNS]


def _line_row(facility: str, line: Line) -> dict:
    return {
        "date": line.day, "booking": line.booking.id, "facility": facility, "status": line.booking.status_label,
        "booked": line.booked, "actual": line.actual, "billable_hours": line.billable_hours,
        "billable_quantity": line.billable_quantity,
        "unit": str(OUTPUT_UNITS.get(line.unit, line.unit)) if line.billable_quantity is not None else "",
        "rate": line.rate, "rate_unit": str(RATE_UNITS.get(line.rate_unit, "")) if line.has_use else "",
        "amount": line.amount, "reference_amount": line.reference_amount, "savings": line.savings,
        "fees": line.fees, "fee_kinds": ", ".join(str(CHARGE_KINDS[k]) for k in line.fee_kinds),
        "currency": line.currency,
    }


def _sums_row(facility: str, label: str, sums: Sums) -> dict:
    return {"facility": facility, "status": label, "amount": sums.amount,
            "reference_amount": sums.reference_amount, "savings": sums.savings,
            "savings_percent": sums.savings_percent, "fees": sums.fees, "currency": sums.currency}


def rows(statement: Statement) -> list[tuple[str, dict]]:
    """("line" | "subtotal" | "total", values by column) in the page's order."""
    result = []
    for group in statement.groups:
        name = group.facility.display_name
        result += [("line", _line_row(name, line)) for line in group.lines]
        result.append(("subtotal", _sums_row(name, _("Subtotal"), group.subtotal)))
    result += [("total", _sums_row(_("Total"), "", sums)) for sums in statement.totals]
    return result


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def to_csv(statement: Statement) -> bytes:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read the Chinese text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers())
    for _kind, values in rows(statement):
        writer.writerow([_text(values.get(name)) for name, _column in COLUMNS])
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(statement: Statement) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = statement.label
    sheet.append(headers())
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    for kind, values in rows(statement):
        sheet.append([_cell(values.get(name), column) for name, column in COLUMNS])
        for cell, (_name, column) in zip(sheet[sheet.max_row], COLUMNS):
            if column in FORMATS:
                cell.number_format = FORMATS[column]
            if kind != "line":
                cell.font = bold
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJKLMNOPQR", (11, 10, 28, 12, 14, 14, 10, 10, 8, 10, 10, 12, 12, 12, 10, 10,
                                                    14, 8)):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _cell(value, column: str):
    if value is None or value == "":
        return None
    if column == INTEGER:
        return int(value)
    if column in (MONEY, PERCENT):
        return Decimal(value)  # a number, never text
    return value
