"""The report page: who sees which numbers, the filter form's errors, the print pack, a fixed number of queries.

The scene is September 2026 (Asia/Shanghai), long past: a production line open Monday to Friday
08:00–18:00 (22 weekdays: 220 available hours) with one completed two-hour booking, and an idle room
open every day 08:00–20:00 (360 hours) that nobody booked.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from booking.accounts.models import User
from booking.billing.models import Charge
from booking.extensions import db
from booking.facilities.models import Facility
from booking.organisation.models import Chain, Enterprise
from booking.usage.models import UsageRecord

from ..factories import local

SEPTEMBER = "period=month&month=2026-09"
MONDAY = date(2026, 9, 7)


@dataclass
class Scene:
    chain: Chain
    line: Facility
    idle: Facility
    ours: Enterprise
    rival: Enterprise
    member: User          # of ``ours``
    committee: User


def completed(make, facility, enterprise, day: date, start: str, end: str, shared="200.00", reference="500.00"):
    """A completed booking used exactly as booked, with its use charge."""
    booking = make.booking(facility, local(day, start), local(day, end), status="completed", enterprise=enterprise,
                           requester=make.user(enterprise))
    db.session.add(UsageRecord(booking=booking, actual_start=booking.start_at, actual_end=booking.end_at))
    hours = Decimal((booking.end_at - booking.start_at).total_seconds() / 3600).quantize(Decimal("0.01"))
    db.session.add(Charge(booking=booking, kind="use", billable_hours=hours, amount=Decimal(shared),
                          reference_amount=Decimal(reference)))
    db.session.flush()
    return booking


def build_scene(make) -> Scene:
    chain = make.chain(name="泽国鞋帽服装产业链", name_en="Zeguo Footwear Chain")
    line = make.facility(chain, name="春雨共享生产线", name_en="Chunyu Line", kind="production_line",
                         hours="08:00-18:00", weekdays=range(5))
    idle = make.facility(chain, name="闲置会议室", name_en="Idle Room", kind="meeting_room", hours="08:00-20:00")
    ours = make.enterprise(chain, name="温岭市鸿达鞋业有限公司", name_en="Hongda Footwear")
    rival = make.enterprise(chain, name="温岭市嘉禾鞋业有限公司", name_en="Jiahe Footwear")
    member = make.user(ours)
    completed(make, line, ours, MONDAY, "10:00", "12:00")
    scene = Scene(chain, line, idle, ours, rival, member, make.committee(chain))
    db.session.commit()
    return scene


@pytest.fixture
def scene(make) -> Scene:
    return build_scene(make)


class Tables(HTMLParser):
    """Rows of every table on a page: {table class: [(row label, [(text, data-value)])]}."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, list] = {}
        self._table = self._row = self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("class", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = ["", attrs.get("data-value")]

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append((self._cell[0].strip(), self._cell[1]))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self._table.append((self._row[0][0], self._row[1:]))
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data


def group_rows(html: str) -> dict[str, list[tuple[str, str | None]]]:
    return dict(Tables(html).tables["report-table groups"])


def page(client, query: str = SEPTEMBER, status: int = 200, **kw) -> str:
    response = client.get(f"/reports?{query}", **kw)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


# --- who sees what ------------------------------------------------------------------------------

def test_anonymous_visitor_is_sent_to_login(client, scene):
    for path in ("/reports", "/reports.csv", "/reports.xlsx", "/reports/print"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_user_without_a_role_may_not_read_reports(client, auth, make, scene):
    auth.login(make.user())
    response = client.get("/reports")
    assert response.status_code == 403
    assert "Reports are for committee members" in response.get_data(as_text=True)


def test_committee_sees_every_facility_of_its_chain_with_idle_ones_at_zero(client, auth, scene):
    auth.login(scene.committee)
    rows = group_rows(page(client))
    line, idle = rows["Chunyu Line"], rows["Idle Room"]
    # available, booked, actual hours; booked and actual utilization
    assert [cell[0] for cell in line[:5]] == ["220.0", "2.0", "2.0", "0.9%", "0.9%"]
    assert [cell[0] for cell in idle[:5]] == ["360.0", "0.0", "0.0", "0.0%", "0.0%"]
    assert idle[7][0] == "—"          # no decision: no lead time
    assert rows["Total"][0][0] == "580.0" and rows["Total"][3][0] == "0.3%"


def test_committee_sees_every_enterprise_in_the_fairness_table(client, auth, scene):
    auth.login(scene.committee)
    fairness = dict(Tables(page(client)).tables["report-table fairness"])
    assert fairness["Hongda Footwear"][0][0] == "2.0" and fairness["Hongda Footwear"][1][0] == "100.0%"
    assert fairness["Jiahe Footwear"][0][0] == "0.0"
    assert 'name="enterprise"' in page(client)


@pytest.mark.parametrize("who", ["committee", "member"])
def test_people_of_another_chain_do_not_see_this_chains_facilities(client, auth, make, scene, who):
    other = make.chain(name="宜黄塑料电子产业链")
    make.facility(other, name="立伟模具开发实验室", name_en="Liwei Mould Lab")
    auth.login(make.committee(other) if who == "committee" else make.member(other))
    html = page(client)
    for name in ("Chunyu Line", "Idle Room", "Hongda Footwear", "Jiahe Footwear"):
        assert name not in html
    assert "Liwei Mould Lab" in html
    html = page(client, f"{SEPTEMBER}&facility={scene.line.id}", status=400)
    assert "Choose one of the options offered." in html and "Chunyu Line" not in html


def test_enterprise_member_sees_only_their_own_enterprise(client, auth, make, scene):
    completed(make, scene.line, scene.rival, MONDAY, "14:00", "17:00")
    db.session.commit()
    auth.login(scene.member)
    html = page(client, f"{SEPTEMBER}&enterprise={scene.rival.id}")   # the filter is not theirs to set
    assert "Jiahe Footwear" not in html and 'name="enterprise"' not in html
    rows = group_rows(html)
    assert [cell[0] for cell in rows["Chunyu Line"][:4]] == ["220.0", "2.0", "2.0", "0.9%"]
    fairness = Tables(html).tables["report-table fairness"]
    assert [label for label, _cells in fairness] == ["Enterprise", "Hongda Footwear"]
    assert fairness[1][1][1][0] == "40.0%"      # 2 of the chain's 5 hours
    html = page(client, f"{SEPTEMBER}&group=enterprise")
    assert list(group_rows(html)) == ["Enterprise", "Hongda Footwear", "Total"]
    assert "Jiahe Footwear" not in html


def test_facility_manager_sees_the_facilities_they_manage(client, auth, make, scene):
    auth.login(make.manager(scene.idle))
    rows = group_rows(page(client))
    assert "Idle Room" in rows and "Chunyu Line" not in rows


# --- the form -----------------------------------------------------------------------------------

@pytest.mark.parametrize("query,message", [
    ("period=quarter&quarter=2026-Q9", "Choose one of the options offered."),
    ("period=month&month=2026-13", "Choose a period"),
    ("period=month&month=soon", "Choose a period"),
    ("period=range&start=2026-09-10&end=2026-09-01", "The end of the period must come after its start."),
    ("period=range&start=2020-01-01&end=2026-09-01", "A report covers at most five years."),
    ("period=range&start=2026-09-10", "Choose a period"),
    ("period=range&start=10.9.2026&end=2026-09-30", "Not a valid date value."),
    ("period=decade", "Choose one of the options offered."),
    ("group=colour", "Choose one of the options offered."),
    ("chain=abc", "Choose one of the options offered."),
    ("kind=spaceport", "Choose one of the options offered."),
])
def test_invalid_filters_are_shown_on_the_form(client, auth, scene, query, message):
    auth.login(scene.committee)
    html = page(client, query, status=400)
    assert message in html and 'class="field has-error' in html
    assert "Key figures" not in html
    for export in ("/reports.csv", "/reports.xlsx", "/reports/print"):
        assert client.get(f"{export}?{query}").status_code == 400


def test_values_of_another_kind_of_period_are_ignored(client, auth, scene):
    auth.login(scene.committee)
    html = page(client, f"{SEPTEMBER}&quarter=junk&year=1900&start=never")
    assert group_rows(html)["Chunyu Line"][1][0] == "2.0"


def test_without_filters_the_report_shows_the_current_month(client, auth, scene):
    from booking.reports.services import today
    auth.login(scene.committee)
    html = page(client, "")
    assert f'value="{today().strftime("%Y-%m")}"' in html and "Key figures" in html


@pytest.mark.parametrize("group", ["facility", "enterprise", "kind", "chain", "month"])
@pytest.mark.parametrize("period", [SEPTEMBER, "period=quarter&quarter=2026-Q3", "period=year&year=2026",
                                    "period=range&start=2026-09-01&end=2026-09-14"])
def test_every_grouping_and_period_renders(client, auth, scene, group, period):
    auth.login(scene.committee)
    rows = group_rows(page(client, f"{period}&group={group}"))
    assert rows["Total"][1][0] == "2.0"


def test_the_page_speaks_chinese(client, auth, scene):
    auth.login(scene.committee)
    html = page(client, headers={"Accept-Language": "zh-CN"})
    assert "春雨共享生产线" in html and "2026年9月" in html


# --- page furniture -----------------------------------------------------------------------------

def test_no_inline_script_and_chart_data_as_json(client, auth, scene):
    auth.login(scene.committee)
    for path in ("/reports", "/reports/print"):
        html = client.get(f"{path}?{SEPTEMBER}").get_data(as_text=True)
        scripts = re.findall(r"<script([^>]*)>", html)
        assert scripts and all('src="' in attrs or 'type="application/json"' in attrs for attrs in scripts)
        assert 'id="chart-utilization"' in html and "vendor/chart.js/chart.umd.min.js" in html
        assert ' style="' not in html


def test_chart_js_is_loaded_only_on_report_pages(client, auth, scene):
    auth.login(scene.committee)
    assert "chart.umd.min.js" not in client.get("/facilities").get_data(as_text=True)


def test_heatmap_cells_are_coloured_by_class_with_their_number(client, auth, scene):
    auth.login(scene.committee)
    html = page(client)
    # Monday 10:00–11:00: 1 booked hour of 8 bookable ones (four Mondays, two facilities).
    cell = re.search(r'<td class="hm hm-(\w+)" data-value="([\d.]+)" title="Mon 10:00–11:00: ([^"]+)"', html)
    assert cell.groups()[:2] == ("2", "12.5") and cell.group(3).startswith("12.5%")
    assert 'class="hm-legend"' in html


def test_print_pack_renders(client, auth, scene):
    auth.login(scene.committee)
    response = client.get(f"/reports/print?{SEPTEMBER}&group=kind")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "data-print" in html and "print-pack" in html and "September 2026" in html
    assert "Definitions" in html and "nearest-rank" in html
    assert group_rows(html)["Production line"][3][0] == "0.9%"


# --- queries ------------------------------------------------------------------------------------


def test_the_page_runs_as_many_queries_for_20_bookings_as_for_2(client, auth, make, scene, count_queries):
    auth.login(scene.committee)
    completed(make, scene.idle, scene.rival, MONDAY, "08:00", "09:00")
    db.session.commit()

    def statements(query: str) -> int:
        with count_queries() as seen:
            assert client.get(f"/reports?{query}").status_code == 200
        return len(seen)

    queries = [SEPTEMBER, f"{SEPTEMBER}&group=enterprise", "period=quarter&quarter=2026-Q3&group=month"]
    few = [statements(q) for q in queries]
    for n in range(18):
        day = MONDAY + timedelta(days=1 + n % 4, weeks=n // 4)
        completed(make, scene.line, make.enterprise(scene.chain), day, "13:00", "15:00")
    db.session.commit()
    assert [statements(q) for q in queries] == few


def test_changes_are_points_for_ratios_and_exact_otherwise(app):
    from booking.reports.present import DECIMAL, PERCENT, cell, change
    # 13.74 % → shown 13.7 %, 14.36 % → 14.4 %: the tile says −0.7 pp, as the two numbers shown do
    assert change(cell(0.1374, PERCENT), cell(0.1436, PERCENT)).value == pytest.approx(-0.007)
    # 0.26 and 0.11 sessions a week are shown as 0.3 and 0.1, but grew by 136 %, not 200 %
    assert change(cell(0.26, DECIMAL), cell(0.11, DECIMAL), (0.26, 0.11)).value == pytest.approx(1.364)
    assert change(cell(5, DECIMAL), cell(None, DECIMAL)).value is None


def test_the_page_by_month_runs_as_many_queries_for_12_months_as_for_3(client, auth, make, scene, count_queries):
    """Stored months are read at once, months nobody stored (2024, before each period) are computed in one
    piece, and the lead times of every month come from one query."""
    from booking.reports import engine
    auth.login(scene.committee)
    for month in range(1, 13):
        completed(make, scene.line, scene.rival, date(2025, month, 10), "09:00", "11:00")
    db.session.commit()
    engine.store_months()
    db.session.commit()

    def statements(query: str) -> int:
        with count_queries() as seen:
            assert client.get(f"/reports?{query}").status_code == 200
        return len(seen)

    assert statements("period=quarter&quarter=2025-Q1&group=month") == statements("period=year&year=2025&group=month")
