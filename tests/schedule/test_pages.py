"""Finding a slot: facility list filters, the week view, the chain's day view, tenant privacy."""

import pytest

from booking.extensions import db

from ..factories import local, next_weekday


@pytest.fixture
def scene(make):
    chain = make.chain(name="泽国鞋帽服装产业链")
    line = make.facility(chain, name="春雨共享生产线", kind="production_line", park="汇富春天园区", capacity=9)
    studio = make.facility(chain, name="春苗直播间01", kind="livestream_studio", park="牧南园区", capacity=4)
    member = make.member(chain)
    other = make.member(chain)
    db.session.commit()
    return chain, line, studio, member, other


def test_facility_list_filters_by_kind_park_and_capacity(client, auth, scene):
    _chain, _line, _studio, member, _other = scene
    auth.login(member)
    text = client.get("/facilities?kind=livestream_studio").get_data(as_text=True)
    assert "春苗直播间01" in text and "春雨共享生产线" not in text
    text = client.get("/facilities?park=汇富春天园区").get_data(as_text=True)
    assert "春雨共享生产线" in text and "春苗直播间01" not in text
    text = client.get("/facilities?capacity=5").get_data(as_text=True)
    assert "春雨共享生产线" in text and "春苗直播间01" not in text


def test_facility_list_free_at_a_time(client, auth, make, scene):
    _chain, line, _studio, member, other = scene
    day = next_weekday(1)
    make.booking(line, local(day, "10:00"), local(day, "12:00"), status="approved",
                 enterprise=other.membership.enterprise)
    db.session.commit()
    auth.login(member)
    text = client.get(f"/facilities?free_date={day}&free_from=11:00&free_to=12:00").get_data(as_text=True)
    assert "春雨共享生产线" not in text and "春苗直播间01" in text
    text = client.get(f"/facilities?free_date={day}&free_from=13:00&free_to=14:00").get_data(as_text=True)
    assert "春雨共享生产线" in text
    text = client.get(f"/facilities?free_date={day}&free_from=21:00&free_to=22:00").get_data(as_text=True)
    assert "春雨共享生产线" not in text  # outside bookable hours


def test_week_view_shows_others_as_booked_only(client, auth, make, scene):
    _chain, line, _studio, member, other = scene
    day = next_weekday(2)
    make.booking(line, local(day, "10:00"), local(day, "12:00"), status="approved",
                 enterprise=other.membership.enterprise, purpose="机密新品试产")
    make.booking(line, local(day, "14:00"), local(day, "15:00"), status="pending",
                 enterprise=member.membership.enterprise, purpose="我们的试产")
    db.session.commit()
    auth.login(member)
    text = client.get(f"/facilities/{line.id}?week={day}").get_data(as_text=True)
    rival = other.membership.enterprise
    assert "机密新品试产" not in text and rival.name not in text and rival.name_en not in text
    assert "cell-booked" in text and "Booked" in text
    assert "我们的试产" in text
    assert f"/bookings/new?facility_id={line.id}" in text  # free slots start a request


def test_week_view_names_booker_where_chain_allows(client, auth, make, scene):
    chain, line, _studio, member, other = scene
    chain.show_booker_names = True
    day = next_weekday(2)
    make.booking(line, local(day, "10:00"), local(day, "12:00"), status="approved",
                 enterprise=other.membership.enterprise, purpose="机密新品试产")
    db.session.commit()
    auth.login(member)
    text = client.get(f"/facilities/{line.id}?week={day}").get_data(as_text=True)
    assert other.membership.enterprise.name_en in text and "机密新品试产" not in text


def test_week_view_shows_closures(client, auth, make, scene):
    _chain, line, _studio, member, _other = scene
    day = next_weekday(3)
    make.closure(line, local(day, "08:00"), local(day, "12:00"), reason="月度设备保养")
    db.session.commit()
    auth.login(member)
    text = client.get(f"/facilities/{line.id}?week={day}").get_data(as_text=True)
    assert "月度设备保养" in text and "cell-closure" in text


def test_day_view_lists_every_facility_of_the_chain(client, auth, make, scene):
    chain, line, studio, member, other = scene
    day = next_weekday(1)
    make.booking(studio, local(day, "19:00"), local(day, "20:00"), status="approved",
                 enterprise=other.membership.enterprise, purpose="直播带货")
    db.session.commit()
    auth.login(member)
    response = client.get(f"/chains/{chain.id}/day?date={day}")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "春雨共享生产线" in text and "春苗直播间01" in text and "直播带货" not in text


def test_day_view_of_a_foreign_chain_is_404(client, auth, make, scene):
    _chain, _line, _studio, member, _other = scene
    foreign = make.chain()
    db.session.commit()
    auth.login(member)
    assert client.get(f"/chains/{foreign.id}/day").status_code == 404


def test_bad_dates_in_the_url_fall_back_to_today(client, auth, scene):
    chain, line, _studio, member, _other = scene
    auth.login(member)
    assert client.get(f"/facilities/{line.id}?week=not-a-date").status_code == 200
    assert client.get(f"/chains/{chain.id}/day?date=2026-13-45").status_code == 200
    assert client.get("/facilities?free_date=nope&capacity=-3").status_code == 200
