"""The report as CSV (the table per group and its total) and as XLSX (summary, groups, fairness,
heatmap), from the same rounded cells as the page."""
from __future__ import annotations

import csv
import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .present import (
    COEF,
    COUNT,
    DECIMAL,
    HOURS,
    INDEX,
    MONEY,
    PERCENT,
    POINTS,
    SIGNED_COEF,
    SIGNED_INDEX,
    SIGNED_PERCENT,
    Cell,
    View,
)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EXCEL_FORMATS = {PERCENT: "0.0%", SIGNED_PERCENT: "+0.0%;-0.0%;0.0%", HOURS: "#,##0.0", DECIMAL: "#,##0.0",
                 COUNT: "#,##0", MONEY: "#,##0.00", INDEX: "#,##0", SIGNED_INDEX: "+#,##0;-#,##0;0",
                 COEF: "0.000", SIGNED_COEF: "+0.000;-0.000;0.000"}
HEADER_FILL = PatternFill("solid", fgColor="EEF1F6")
BOLD = Font(bold=True)


def safe_text(value: str) -> str:
    """Names are typed by people: never let a spreadsheet read one as a formula."""
    return "'" + value if value.startswith(FORMULA_START) else value


def filename(view: View, extension: str) -> str:
    return f"lianxiang-report-{view.slug}-by-{view.report.group_by}.{extension}"


def title_line(view: View) -> str:
    return " · ".join(f"{label}: {value}" for label, value in view.filters)


# --- CSV ---------------------------------------------------------------------------------------------

def csv_bytes(view: View) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel and WPS open Chinese names correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([view.group_label] + [f"{c.label} (%)" if c.kind in (PERCENT, SIGNED_PERCENT) else c.label
                                          for c in view.columns])
    for row in view.rows + [view.total]:
        writer.writerow([safe_text(row.label)] + [c.plain for c in row.cells])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- XLSX --------------------------------------------------------------------------------------------

def _sheet_title(text: str) -> str:
    for char in '[]:*?/\\':
        text = text.replace(char, " ")
    return text[:31]


def _put(ws, row: int, column: int, value: Cell | str | None, bold: bool = False):
    target = ws.cell(row=row, column=column)
    if isinstance(value, Cell):
        if value.kind == POINTS:
            target.value = None if value.value is None else round(value.value * 100, 1)
            unit = _("pp").replace('"', "'")
            target.number_format = f'+0.0" {unit}";-0.0" {unit}";0.0" {unit}"'
        elif value.kind in EXCEL_FORMATS:
            target.value = value.value
            target.number_format = EXCEL_FORMATS[value.kind]
        else:
            target.value = None if value.value is None else safe_text(str(value.value))
        if value.value is None:
            target.value = "—"
            target.alignment = Alignment(horizontal="right")
    else:
        target.value = None if value is None else safe_text(str(value))
    if bold:
        target.font = BOLD
    return target


def _start(ws, view: View, headers: list[str], widths: list[int]) -> int:
    """Title, filters and period, then the header row; returns the first data row."""
    ws.cell(row=1, column=1, value=_("Lianxiang · shared facility report")).font = Font(bold=True, size=14)
    ws.cell(row=2, column=1, value=safe_text(title_line(view)))
    for column, header in enumerate(headers, start=1):
        target = _put(ws, 4, column, header, bold=True)
        target.fill = HEADER_FILL
        target.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(column)].width = width
    ws.freeze_panes = ws.cell(row=5, column=2)
    return 5


def _summary(ws, view: View) -> None:
    headers = [_("Figure"), view.title_period, view.previous_period, _("Change on the previous period")]
    row = _start(ws, view, headers, [40, 18, 18, 16])
    for tile in view.tiles:
        _put(ws, row, 1, f"{tile.label} ({tile.unit})" if tile.unit else tile.label)
        for column, value in ((2, tile.current), (3, tile.previous), (4, tile.change)):
            _put(ws, row, column, value)
        row += 1


def _groups(ws, view: View) -> None:
    row = _start(ws, view, [view.group_label] + [c.label for c in view.columns], [32] + [14] * len(view.columns))
    for line in view.rows + [view.total]:
        bold = line is view.total
        _put(ws, row, 1, line.label, bold)
        for column, value in enumerate(line.cells, start=2):
            _put(ws, row, column, value, bold)
        row += 1


def _fairness(ws, view: View) -> None:
    row = _start(ws, view, [_("Enterprise"), _("Booked hours"), _("Share")], [36, 14, 12])
    for name, hours, share in view.fair.rows:
        for column, value in enumerate((name, hours, share), start=1):
            _put(ws, row, column, value)
        row += 1
    row += 1
    for label, value in ((_("All enterprises (h)"), view.fair.total), (_("Concentration (HHI)"), view.fair.hhi),
                         (_("Inequality (Gini)"), view.fair.gini)):
        _put(ws, row, 1, label, True)
        _put(ws, row, 2, value)
        row += 1


def _heatmap(ws, view: View) -> None:
    hours = view.heat.hours
    row = _start(ws, view, [_("Weekday")] + [f"{h:02d}:00" for h in hours], [12] + [8] * len(hours))
    for day, cells in view.heat.rows:
        _put(ws, row, 1, day, True)
        for column, heat_cell in enumerate(cells, start=2):
            _put(ws, row, column, heat_cell.share)
        row += 1
    ws.cell(row=row + 1, column=1, value=_("Booked hours ÷ bookable hours of each weekday and hour, in the "
                                           "facilities' local time."))


def xlsx_bytes(view: View) -> bytes:
    book = Workbook()
    sheets = ((_("Summary"), _summary), (view.group_title, _groups), (_("Fairness"), _fairness),
              (_("Heatmap"), _heatmap))
    for index, (title, fill) in enumerate(sheets):
        ws = book.active if index == 0 else book.create_sheet()
        ws.title = _sheet_title(title)
        fill(ws, view)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
