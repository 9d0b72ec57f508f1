"""The monthly statement: its lines, subtotals and totals, the CSV and XLSX that repeat them, and who may read it."""
import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from booking.billing import charges
from booking.billing.statements import current_month
from booking.extensions import db
from booking.usage.models import UsageRecord

from ..factories import local

D = Decimal
MARCH = "2025-03"


def used(make, scene, facility, day: date, hhmm: str, minutes: int, late: int = 0, actual: int | None = None,
         requester=None, **kw):
    """A completed booking with its usage record (``late`` minutes after the start, ``actual`` long) and charge."""
    start = local(day, hhmm)
    booking = make.booking(facility, start, start + timedelta(minutes=minutes), status="completed",
                           requester=requester or scene.member, **kw)
    begin = start + timedelta(minutes=late)
    db.session.add(UsageRecord(booking=booking, actual_start=begin,
                               actual_end=begin + timedelta(minutes=actual or minutes), output_unit="pairs"))
    db.session.flush()
    charges.charge_use(booking)
    db.session.flush()
    return booking


@pytest.fixture
def month(make, scene):
    """March 2025 of the scene's enterprise on a line (booked basis) and a studio (actual basis)."""
    studio = make.facility(scene.facility.chain, kind="livestream_studio", name="春苗直播间", name_en="Chunmiao studio",
                           shared_rate=D("50.00"), reference_rate=D("120.00"), billing_basis="actual")
    line = scene.facility
    used(make, scene, line, date(2025, 3, 3), "07:00", 120, late=5, actual=110)    # 1200.00 / 2500.00
    used(make, scene, line, date(2025, 3, 10), "10:00", 90)                        # 900.00 / 1875.00
    absent = make.booking(line, local(date(2025, 3, 12), "07:00"), local(date(2025, 3, 12), "09:00"),
                          status="no_show", requester=scene.member)
    charges.charge_fee(absent, "no_show")                                          # fee 1200.00
    used(make, scene, studio, date(2025, 3, 5), "19:00", 180, late=10, actual=150)  # 125.00 / 300.00
    used(make, scene, studio, date(2025, 3, 31), "23:30", 60)     # 50.00 / 120.00: March locally, and in UTC
    used(make, scene, studio, date(2025, 3, 1), "00:30", 60)      # 50.00 / 120.00: March locally, February in UTC
    april = used(make, scene, studio, date(2025, 4, 1), "00:30", 60)  # April locally, March in UTC
    used(make, scene, line, date(2025, 3, 20), "07:00", 240, requester=scene.rival, purpose="秘密新品试产")
    db.session.commit()
    return {"studio": studio, "april": april}


def money(value) -> str:
    return f"¥{D(value):,.2f}"


def page(client, enterprise_id, month=MARCH, suffix="") -> str:
    response = client.get(f"/enterprises/{enterprise_id}/statement{suffix}?month={month}")
    assert response.status_code == 200, response.status_code
    return response


def csv_rows(response) -> list[list[str]]:
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_statement_page_shows_lines_subtotals_and_totals(client, auth, scene, month):
    auth.login(scene.member)
    html = page(client, scene.enterprise.id).get_data(as_text=True)
    assert "Monthly statement 2025-03" in html and "Chunyu line" in html and "Chunmiao studio" in html
    # Totals: use 2100 + 225, reference 4375 + 540, savings 2590 = 52.695… % of 4915, fees 1200.
    for amount in ("2325.00", "4915.00", "2590.00", "1200.00", "3525.00"):
        assert money(amount) in html
    assert "52.7 % of the reference cost" in html
    # Subtotals per facility
    for amount in ("2100.00", "4375.00", "2275.00", "225.00", "540.00", "315.00"):
        assert money(amount) in html
    assert "rounded half up to 0.01; totals are sums of the rounded amounts" in html
    assert "No-show fee" in html
    assert "2.00 h" in html and "1.83 h" not in html  # the line bills its booked time, not the 110 minutes used
    assert "2.50 h" in html  # the studio bills the 150 minutes used of 180 booked


def test_booking_belongs_to_the_month_of_its_local_start(client, auth, scene, month):
    auth.login(scene.member)
    march = page(client, scene.enterprise.id).get_data(as_text=True)
    assert "1 Mar 2025" in march and "31 Mar 2025" in march
    assert f"/bookings/{month['april'].id}\"" not in march
    april = page(client, scene.enterprise.id, "2025-04").get_data(as_text=True)
    assert f"/bookings/{month['april'].id}\"" in april and money("50.00") in april


def test_statement_shows_nothing_of_other_enterprises(client, auth, scene, month):
    auth.login(scene.member)
    html = page(client, scene.enterprise.id).get_data(as_text=True)
    assert "秘密新品试产" not in html and "2025-03-20" not in html and money("2400.00") not in html


def test_csv_repeats_the_pages_numbers(client, auth, scene, month):
    auth.login(scene.member)
    html = page(client, scene.enterprise.id).get_data(as_text=True)
    rows = csv_rows(page(client, scene.enterprise.id, suffix=".csv"))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Date", "Booking no.", "Facility", "Status"] and "Shared amount" in header
    assert len(body) == 6 + 2 + 1  # lines, a subtotal per facility, the total
    column = {name: header.index(name) for name in ("Shared amount", "Reference amount", "Savings", "Fees",
                                                    "Billable hours", "Savings rate (%)")}
    total = body[-1]
    assert total[2] == "Total" and [total[column[c]] for c in ("Shared amount", "Reference amount", "Savings",
                                                                "Fees")] == ["2325.00", "4915.00", "2590.00",
                                                                             "1200.00"]
    assert total[column["Savings rate (%)"]] == "52.7"
    for row in body:
        for name in ("Shared amount", "Reference amount", "Savings"):
            assert money(row[column[name]]) in html, (name, row)
        if row[column["Billable hours"]]:
            assert f"{row[column['Billable hours']]} h" in html
    assert sum(D(r[column["Shared amount"]]) for r in body if r[3] == "Completed") == D("2325.00")


def test_xlsx_holds_the_csvs_numbers_as_numbers(client, auth, scene, month):
    auth.login(scene.member)
    rows = csv_rows(page(client, scene.enterprise.id, suffix=".csv"))
    response = page(client, scene.enterprise.id, suffix=".xlsx")
    assert "spreadsheetml" in response.headers["Content-Type"]
    assert "attachment" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0] == rows[0]
    money_columns = [rows[0].index(name) for name in ("Billable hours", "Shared rate", "Shared amount",
                                                      "Reference amount", "Savings", "Fees")]
    for cells, row, sheet_row in zip(values[1:], rows[1:], sheet.iter_rows(min_row=2)):
        for i in money_columns:
            if row[i]:
                assert isinstance(cells[i], (int, float)) and sheet_row[i].number_format == "0.00"
                assert D(str(cells[i])).quantize(D("0.01")) == D(row[i])
            else:
                assert cells[i] is None
        assert cells[2] == row[2] and cells[3] == (row[3] or None)
    assert values[-1][rows[0].index("Shared amount")] == 2325


def test_month_links_and_default_month(client, auth, scene, month):
    auth.login(scene.member)
    html = page(client, scene.enterprise.id).get_data(as_text=True)
    assert "month=2025-02" in html and "month=2025-04" in html
    response = client.get(f"/enterprises/{scene.enterprise.id}/statement")
    assert f"Monthly statement {current_month():%Y-%m}" in response.get_data(as_text=True)
    assert "Nothing was charged in this month." in response.get_data(as_text=True)


@pytest.mark.parametrize("month_text", ["2025-13", "March", "2025-3", "0000-01"])
def test_a_bad_month_is_a_clear_error(client, auth, scene, month_text):
    auth.login(scene.member)
    response = client.get(f"/enterprises/{scene.enterprise.id}/statement?month={month_text}")
    assert response.status_code == 422
    assert "for example 2025-03" in response.get_data(as_text=True)


@pytest.mark.parametrize("suffix", ["", ".csv", ".xlsx"])
def test_another_enterprises_member_gets_404(client, auth, scene, month, suffix):
    auth.login(scene.rival)
    assert client.get(f"/enterprises/{scene.enterprise.id}/statement{suffix}?month={MARCH}").status_code == 404
    assert client.get(f"/enterprises/999999/statement{suffix}").status_code == 404
    rival_enterprise = scene.rival.membership.enterprise_id
    assert client.get(f"/enterprises/{rival_enterprise}/statement{suffix}?month={MARCH}").status_code == 200


@pytest.mark.parametrize("who,status", [("admin", 200), ("enterprise_admin", 200), ("member", 200),
                                        ("manager", 404)])
def test_who_reads_the_statement(client, auth, scene, who, status):
    auth.login(getattr(scene, who))
    assert client.get(f"/enterprises/{scene.enterprise.id}/statement").status_code == status


def test_signed_out_visitors_are_sent_to_sign_in(client, scene):
    db.session.commit()
    response = client.get(f"/enterprises/{scene.enterprise.id}/statement")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_navigation_and_admin_page_link_to_the_statement(client, auth, scene):
    auth.login(scene.member)
    assert f'href="/enterprises/{scene.enterprise.id}/statement"' in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login(scene.admin)
    html = client.get(f"/admin/enterprises/{scene.enterprise.id}").get_data(as_text=True)
    assert f'href="/enterprises/{scene.enterprise.id}/statement"' in html


def test_statement_page_runs_a_fixed_number_of_queries(client, auth, make, scene, month, count_queries):
    auth.login(scene.member)

    def statements() -> int:
        with count_queries() as seen:
            page(client, scene.enterprise.id)
        return len(seen)

    few = statements()
    for n in range(10):
        facility = make.facility(scene.facility.chain, name=f"洽谈室{n}", shared_rate=D("80.00"))
        used(make, scene, facility, date(2025, 3, 14), "09:00", 60)
        absent = make.booking(facility, local(date(2025, 3, 15), "09:00"), local(date(2025, 3, 15), "10:00"),
                              status="no_show", requester=scene.member)
        facility.no_show_fee = D("30.00")
        charges.charge_fee(absent, "no_show")
    db.session.commit()
    assert statements() == few
