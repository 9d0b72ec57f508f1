"""CSV and XLSX exports hold the numbers the page shows, rounded the same way, for the same viewer."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from booking.extensions import db

from .test_pages import (
    MONDAY,
    SEPTEMBER,
    Scene,
    build_scene,
    completed,
    group_rows,
    page,
)


@pytest.fixture
def scene(make) -> Scene:
    return build_scene(make)


def download(client, kind: str, query: str = SEPTEMBER):
    response = client.get(f"/reports.{kind}?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return response


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())          # Excel opens UTF-8 Chinese with the BOM only
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def read_xlsx(response):
    return load_workbook(io.BytesIO(response.get_data()))


def sheet_rows(ws) -> dict:
    """Data rows below the header row (row 4), keyed by their first cell."""
    return {row[0].value: row[1:] for row in ws.iter_rows(min_row=5) if row[0].value is not None}


def test_csv_holds_the_page_numbers(client, auth, scene):
    auth.login(scene.committee)
    shown = group_rows(page(client))
    rows = read_csv(download(client, "csv"))
    header, body = rows[0], {row[0]: row[1:] for row in rows[1:]}
    assert header[:6] == ["Facility", "Available (h)", "Booked (h)", "Actual (h)", "Booked utilization (%)",
                          "Actual utilization (%)"]
    assert list(body) == ["Chunyu Line", "Idle Room", "Total"]
    assert body["Chunyu Line"][:7] == ["220.0", "2.0", "2.0", "0.9", "0.9", "100.0", "0.0"]
    assert body["Chunyu Line"][-6:] == ["1", "200.00", "500.00", "300.00", "60.0", ""]   # no baseline: no uplift
    assert body["Idle Room"][3] == "0.0"
    for label, values in body.items():   # every number the page shows, in the same order and rounding
        on_page = [value for _text, value in shown[label]]
        assert [float(v) if v else None for v in values] == [float(v) if v else None for v in on_page]


def test_xlsx_holds_the_page_numbers_as_numbers(client, auth, scene):
    auth.login(scene.committee)
    shown = group_rows(page(client))
    book = read_xlsx(download(client, "xlsx"))
    assert book.sheetnames == ["Summary", "By facility", "Fairness", "Heatmap"]
    ws = book["By facility"]
    assert "September 2026" in ws["A2"].value and "Zeguo Footwear Chain" in ws["A2"].value
    assert [c.value for c in ws[4]][:4] == ["Facility", "Available (h)", "Booked (h)", "Actual (h)"]
    rows = sheet_rows(ws)
    line = rows["Chunyu Line"]
    assert line[1].value == 2.0 and line[1].number_format == "#,##0.0"
    assert line[3].value == pytest.approx(0.009) and line[3].number_format == "0.0%"
    assert line[10].value == 200 and line[10].number_format == "#,##0.00"
    assert line[14].value == "—"                                  # no baseline: no uplift
    assert rows["Idle Room"][3].value == 0
    for label, cells in rows.items():
        on_page = [value for _text, value in shown[label]]
        exported = [None if c.value == "—" else c.value for c in cells]
        expected = [None if v is None else float(v) for v in on_page]
        # the page shows percentages in points
        exported = [round(v * 100, 1) if v is not None and c.number_format.endswith("%") else v
                    for v, c in zip(exported, cells, strict=True)]
        assert exported == pytest.approx(expected)


def test_xlsx_summary_fairness_and_heatmap(client, auth, make, scene):
    completed(make, scene.idle, scene.rival, MONDAY, "08:00", "11:00", shared="0.00", reference="300.00")
    db.session.commit()
    auth.login(scene.committee)
    html = page(client)
    book = read_xlsx(download(client, "xlsx"))
    summary = sheet_rows(book["Summary"])
    assert [c.value for c in book["Summary"][4]] == ["Figure", "September 2026", "August 2026",
                                                     "Change on the previous period"]
    assert summary["Booked utilization"][0].value == pytest.approx(0.009)    # 5 h of 580
    assert summary["Sessions served"][0].value == 2 and summary["Sessions served"][1].value == 0
    assert summary["Savings"][0].value == 600 and summary["Savings rate"][0].value == pytest.approx(0.75)
    assert summary["Concentration (HHI)"][0].value == 5200                   # 40² + 60²
    assert 'data-value="5200.0"' in html
    fairness = sheet_rows(book["Fairness"])
    assert fairness["Jiahe Footwear"][0].value == 3 and fairness["Jiahe Footwear"][1].value == pytest.approx(0.6)
    assert fairness["Concentration (HHI)"][0].value == 5200
    heat = book["Heatmap"]
    assert [c.value for c in heat[4]][:4] == ["Weekday", "08:00", "09:00", "10:00"]
    monday = sheet_rows(heat)["Mon"]
    assert [c.value for c in monday[:3]] == [pytest.approx(0.125), pytest.approx(0.125), pytest.approx(0.25)]
    assert monday[0].number_format == "0.0%"


def test_file_names_carry_the_period_and_grouping(client, auth, scene):
    auth.login(scene.committee)
    for kind, query, name in (("csv", SEPTEMBER, "lianxiang-report-2026-09-by-facility.csv"),
                              ("xlsx", "period=quarter&quarter=2026-Q3&group=kind",
                               "lianxiang-report-2026-Q3-by-kind.xlsx"),
                              ("csv", "period=range&start=2026-09-01&end=2026-09-14&group=month",
                               "lianxiang-report-2026-09-01_2026-09-14-by-month.csv")):
        response = download(client, kind, query)
        assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'


def test_chinese_headers_survive_the_csv(client, auth, scene):
    auth.login(scene.committee)
    response = client.get(f"/reports.csv?{SEPTEMBER}", headers={"Accept-Language": "zh-CN"})
    rows = read_csv(response)
    assert [row[0] for row in rows[1:3]] == ["春雨共享生产线", "闲置会议室"]


def test_member_exports_show_their_own_enterprise_only(client, auth, make, scene):
    completed(make, scene.line, scene.rival, MONDAY, "14:00", "17:00")
    db.session.commit()
    auth.login(scene.member)
    rows = read_csv(download(client, "csv", f"{SEPTEMBER}&group=enterprise"))
    assert [row[0] for row in rows[1:]] == ["Hongda Footwear", "Total"]
    book = read_xlsx(download(client, "xlsx"))
    text = " ".join(str(c.value) for ws in book for row in ws.iter_rows() for c in row if c.value is not None)
    assert "Hongda Footwear" in text and "Jiahe Footwear" not in text
    assert sheet_rows(book["By facility"])["Chunyu Line"][1].value == 2.0


def test_names_never_become_spreadsheet_formulas(client, auth, make, scene):
    scene.line.name_en = "=HYPERLINK(\"http://example.test\")"
    db.session.commit()
    auth.login(scene.committee)
    rows = read_csv(download(client, "csv"))
    assert rows[1][0].startswith("'=")
    ws = read_xlsx(download(client, "xlsx"))["By facility"]
    assert ws["A5"].value.startswith("'=") and ws["A5"].data_type == "s"
