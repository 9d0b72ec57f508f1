"""Subscribable feeds: what each kind shows, their tokens, and conditional GETs."""
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from booking.accounts.models import AuditEntry
from booking.accounts.permissions import roles_of
from booking.bookings import services as bookings
from booking.calendar import services
from booking.calendar.models import CalendarFeed, FeedBody
from booking.errors import InvalidInput, NotFound
from booking.extensions import db
from booking.timeutil import utcnow

from ..factories import local, next_weekday
from .conftest import events, instants, parse, uid


def make_feed(user, kind, facility=None) -> CalendarFeed:
    feed = services.create_feed(user, roles_of(user), kind, facility.id if facility else None)
    db.session.commit()
    return feed


def url_of(feed) -> str:
    return f"/calendar/feeds/{services.feed_token(feed)}.ics"


@pytest.fixture
def week(make, scene):
    """Bookings of three enterprises in the coming weeks, in every interesting state."""
    day = next_weekday(1)
    ours = scene.member.membership.enterprise
    rows = {
        "mine": make.booking(scene.facility, local(day, "09:00"), status="approved", requester=scene.member,
                             purpose="我们的试产"),
        "mine_cancelled": make.booking(scene.facility, local(day, "11:00"), status="cancelled",
                                       requester=scene.member, purpose="取消的"),
        "colleague": make.booking(scene.berlin, local(day, "13:00"), status="pending", requester=scene.colleague,
                                  enterprise=ours, purpose="同事的"),
        "rival": make.booking(scene.facility, local(day, "14:00"), status="approved", requester=scene.rival,
                              purpose="对手的秘密"),
        "rival_pending": make.booking(scene.facility, local(day, "16:00"), status="pending",
                                      requester=scene.rival, purpose="对手的申请"),
        "rival_rejected": make.booking(scene.facility, local(day, "17:00"), status="rejected",
                                       requester=scene.rival),
        "rival_cancelled": make.booking(scene.facility, local(day, "18:00"), status="cancelled",
                                        requester=scene.rival, decided_at=utcnow()),
        "outsider": make.booking(scene.facility, local(day, "19:00"), status="approved", requester=scene.outsider),
        "too_old": make.booking(scene.facility, local(day - timedelta(days=140), "09:00"), status="completed",
                                requester=scene.member),
        "too_far": make.booking(scene.facility, local(day + timedelta(days=420), "09:00"), status="approved",
                                requester=scene.member),
    }
    db.session.commit()
    return rows


def read(client, feed):
    response = client.get(url_of(feed))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


def uids(response) -> set[str]:
    return set(events(response.data))


def test_mine_shows_what_the_user_requested_in_the_window_with_cancellations(client, scene, week):
    response = read(client, make_feed(scene.member, "mine"))
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Cache-Control"] == "private, max-age=300"
    assert uids(response) == {uid(week["mine"]), uid(week["mine_cancelled"])}
    read_back = events(response.data)
    for name in ("mine", "mine_cancelled"):
        booking = week[name]
        event = read_back[uid(booking)]
        assert instants(event) == (booking.start_at, booking.end_at)
        assert int(event.sequence.value) == booking.sequence
    assert read_back[uid(week["mine_cancelled"])].status.value == "CANCELLED"
    assert parse(response.data).method.value == "PUBLISH"


def test_enterprise_feed_shows_the_enterprises_bookings_of_every_member(client, scene, week):
    read_back = events(read(client, make_feed(scene.colleague, "enterprise")).data)
    assert set(read_back) == {uid(week[n]) for n in ("mine", "mine_cancelled", "colleague")}
    assert read_back[uid(week["colleague"])].status.value == "TENTATIVE"
    assert "同事的" in read_back[uid(week["colleague"])].summary.value


def test_facility_feed_shows_others_as_booked_without_their_purpose(client, scene, week):
    response = read(client, make_feed(scene.member, "facility", scene.facility))
    read_back = events(response.data)
    assert set(read_back) == {uid(week[n]) for n in ("mine", "mine_cancelled", "rival", "rival_cancelled",
                                                     "outsider")}
    assert read_back[uid(week["mine"])].summary.value == "Chunyu production line · 我们的试产"
    rival = read_back[uid(week["rival"])]
    assert rival.summary.value == "Chunyu production line · Booked"
    assert read_back[uid(week["rival_cancelled"])].status.value == "CANCELLED"
    body = response.get_data(as_text=True)
    for secret in ("对手的秘密", "对手的申请", week["rival"].enterprise.name):
        assert secret not in body


def test_facility_feed_of_a_manager_shows_every_request_in_full(client, scene, week):
    read_back = events(read(client, make_feed(scene.manager, "facility", scene.facility)).data)
    assert uid(week["rival_pending"]) in read_back and uid(week["rival_rejected"]) in read_back
    assert "对手的秘密" in read_back[uid(week["rival"])].summary.value


def test_queue_feed_shows_pending_requests_of_managed_facilities(client, make, scene, week):
    other = make.facility(scene.chain)
    make.booking(other, local(next_weekday(1), "10:00"), requester=scene.rival)  # not managed by the manager
    db.session.commit()
    read_back = events(read(client, make_feed(scene.manager, "queue")).data)
    assert set(read_back) == {uid(week["colleague"]), uid(week["rival_pending"])}
    assert {e.status.value for e in read_back.values()} == {"TENTATIVE"}


def test_feed_reads_in_the_owners_language(client, scene, week):
    scene.member.locale = "zh_CN"
    feed = make_feed(scene.member, "facility", scene.facility)
    read_back = events(read(client, feed).data)
    assert read_back[uid(week["rival"])].summary.value == "春雨生产线 · 已占用"


@pytest.mark.parametrize("kind", ["enterprise", "queue", "facility", "nonsense"])
def test_feeds_a_user_may_not_have_are_refused(app, scene, kind):
    with pytest.raises(InvalidInput):
        services.create_feed(scene.manager if kind == "enterprise" else scene.member,
                             roles_of(scene.manager if kind == "enterprise" else scene.member), kind)
    with pytest.raises(InvalidInput):  # a facility of another chain is unknown
        services.create_feed(scene.outsider, roles_of(scene.outsider), "facility", scene.facility.id)


def test_renewed_feed_has_a_new_url_and_the_old_one_is_gone(client, scene, week):
    feed = make_feed(scene.member, "mine")
    old = url_of(feed)
    assert client.get(old).status_code == 200
    services.renew_feed(scene.member, feed)
    db.session.commit()
    assert url_of(feed) != old
    assert client.get(old).status_code == 404
    assert client.get(url_of(feed)).status_code == 200


def test_revoked_feed_answers_404(client, scene, week):
    feed = make_feed(scene.member, "mine")
    url = url_of(feed)
    services.revoke_feed(scene.member, feed)
    db.session.commit()
    assert client.get(url).status_code == 404
    assert services.list_feeds(scene.member) == []


def test_tampered_and_foreign_tokens_answer_404(app, client, scene, week):
    feed = make_feed(scene.member, "mine")
    token = services.feed_token(feed)
    forged = URLSafeSerializer("not-our-secret", salt="calendar-feed").dumps([feed.id, feed.nonce])
    wrong_nonce = URLSafeSerializer(app.secret_key, salt="calendar-feed").dumps([feed.id, "0" * 32])
    wrong_shape = URLSafeSerializer(app.secret_key, salt="calendar-feed").dumps({"id": feed.id})
    unknown = URLSafeSerializer(app.secret_key, salt="calendar-feed").dumps([feed.id + 99, feed.nonce])
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), forged, wrong_nonce, wrong_shape,
                unknown, "garbage", "a.b"):
        assert client.get(f"/calendar/feeds/{bad}.ics").status_code == 404, bad


def test_feed_of_an_inactive_user_or_of_a_facility_they_lost_answers_404(client, make, scene, week):
    feed = make_feed(scene.member, "facility", scene.facility)
    url = url_of(feed)
    scene.member.membership.enterprise.chains = []  # the enterprise left the chain
    db.session.commit()
    assert client.get(url).status_code == 404
    mine = make_feed(scene.colleague, "mine")
    scene.colleague.active = False
    db.session.commit()
    assert client.get(url_of(mine)).status_code == 404


def test_conditional_get_answers_304_with_etag_and_if_modified_since(client, scene, week):
    url = url_of(make_feed(scene.member, "mine"))
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "private, max-age=300"
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_etag_and_last_modified_change_when_a_booking_changes(client, scene, week):
    url = url_of(make_feed(scene.member, "enterprise"))
    first = client.get(url)
    booking = week["colleague"]
    bookings.approve(scene.manager, roles_of(scene.manager), booking, now=utcnow())
    booking.updated_at = utcnow() + timedelta(seconds=2)  # Last-Modified has whole seconds
    db.session.commit()
    second = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.headers["ETag"] != first.headers["ETag"]
    assert events(second.data)[uid(booking)].status.value == "CONFIRMED"
    assert client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code == 200


def test_etag_changes_when_a_booking_enters_the_feed(client, make, scene, week):
    url = url_of(make_feed(scene.member, "mine"))
    first = client.get(url)
    make.booking(scene.facility, local(next_weekday(2), "09:00"), requester=scene.member)
    db.session.commit()
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200


def test_a_feed_costs_the_same_number_of_queries_whatever_its_size(client, make, scene, count_queries):
    url = url_of(make_feed(scene.manager, "facility", scene.facility))
    day = next_weekday(1)

    def fetch() -> int:
        with count_queries() as seen:
            assert client.get(url).status_code == 200
        return len(seen)

    make.booking(scene.facility, local(day, "08:00"), status="approved", requester=scene.member)
    db.session.commit()
    small = fetch()
    for hour in range(9, 19):
        make.booking(scene.facility, local(day + timedelta(days=hour), f"{hour:02d}:00"), status="approved",
                     requester=scene.rival if hour % 2 else scene.member)
    db.session.commit()
    assert fetch() == small
    with count_queries() as seen:
        assert client.get(url, headers={"If-None-Match": client.get(url).headers["ETag"]}).status_code == 304
    assert len(seen) < 2 * small  # the 304 loads no booking


def test_calendar_page_creates_renews_and_revokes_feeds(client, auth, scene):
    auth.login(scene.member)
    page = client.get("/calendar")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'value="queue"' not in text  # a member has no approval queue
    assert client.post("/calendar/feeds", data={"kind": "facility", "facility_id": 0}).status_code == 422
    assert client.post("/calendar/feeds", data={"kind": "facility", "facility_id": scene.facility.id}
                       ).status_code == 302
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == scene.member.id))
    text = client.get("/calendar").get_data(as_text=True)
    old = services.feed_token(feed)
    assert f"http://localhost/calendar/feeds/{old}.ics" in text
    assert f"webcal://localhost/calendar/feeds/{old}.ics" in text
    assert "Schedule of Chunyu production line" in text

    assert client.post(f"/calendar/feeds/{feed.id}/renew").status_code == 302
    db.session.refresh(feed)
    assert services.feed_token(feed) != old
    assert client.post(f"/calendar/feeds/{feed.id}/revoke").status_code == 302
    db.session.refresh(feed)
    assert feed.revoked_at is not None
    assert client.post(f"/calendar/feeds/{feed.id}/renew").status_code == 404
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "calendar_feed")
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["calendar_feed_created", "calendar_feed_renewed", "calendar_feed_revoked"]


def test_nobody_renews_or_revokes_another_users_feed(client, auth, scene):
    feed = make_feed(scene.member, "mine")
    auth.login(scene.colleague)
    assert client.post(f"/calendar/feeds/{feed.id}/renew").status_code == 404
    assert client.post(f"/calendar/feeds/{feed.id}/revoke").status_code == 404
    with pytest.raises(NotFound):
        services.get_feed(scene.colleague, feed.id)


def test_nav_and_booking_page_link_to_the_calendar(client, auth, make, scene):
    booking = make.booking(scene.facility, local(next_weekday(1), "09:00"), requester=scene.member)
    db.session.commit()
    auth.login(scene.member)
    text = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert f'href="/bookings/{booking.id}.ics"' in text and "Download .ics" in text
    assert 'href="/calendar"' in text


def test_enterprise_feed_matches_the_database_for_a_series_across_dst_with_a_cancelled_date(client, scene):
    """What a subscribed calendar client shows is exactly what the app stores: every occurrence of a
    weekly series in Berlin across a daylight-saving change, 09:00 local each time, the cancelled
    tail marked CANCELLED — read back by another parser than the one that wrote the feed."""
    from zoneinfo import ZoneInfo

    from booking.bookings import series as series_services
    from booking.bookings.models import Booking

    from .conftest import next_dst_change

    berlin = ZoneInfo("Europe/Berlin")
    scene.berlin.max_advance_days = 400
    change = next_dst_change(berlin)
    first = change - timedelta(days=14)
    start = local(first, "09:00", berlin)
    series, created, skipped = series_services.request_series(
        scene.member, roles_of(scene.member), scene.berlin, start, start + timedelta(hours=2),
        "FREQ=WEEKLY;COUNT=5", purpose="跨夏令时的周例会")
    assert len(created) == 5 and skipped == []
    series_services.cancel_series(scene.member, roles_of(scene.member), series, from_start=created[3].start_at)
    db.session.commit()

    read_back = events(read(client, make_feed(scene.colleague, "enterprise")).data)
    stored = db.session.scalars(select(Booking).where(Booking.series_id == series.id)).all()
    assert {uid(b) for b in stored} <= set(read_back)
    for booking in stored:
        event = read_back[uid(booking)]
        assert instants(event) == (booking.start_at, booking.end_at)
        assert event.dtstart.value.astimezone(berlin).hour == 9  # 09:00 stays 09:00 local
        expected = "CANCELLED" if booking.status == "cancelled" else "TENTATIVE"
        assert event.status.value == expected
        assert int(event.sequence.value) == booking.sequence
    assert sorted(b.status for b in stored) == ["cancelled"] * 2 + ["pending"] * 3
    offsets = {b.start_at.astimezone(berlin).utcoffset() for b in stored}
    assert len(offsets) == 2  # the series really crosses the change


def test_a_full_fetch_of_an_unchanged_feed_is_served_as_kept_without_loading_bookings(client, make, scene, week,
                                                                                      count_queries):
    url = url_of(make_feed(scene.member, "enterprise"))
    first = client.get(url)
    with count_queries() as seen:
        again = client.get(url)  # no conditional request: many calendar clients poll like this
    assert again.status_code == 200 and again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    assert not any("FROM bookings" in s and "JOIN facilities" in s for s in seen)  # nothing rendered again

    booking = week["colleague"]
    bookings.approve(scene.manager, roles_of(scene.manager), booking, now=utcnow())
    db.session.commit()
    changed = client.get(url)
    assert changed.headers["ETag"] != first.headers["ETag"]
    assert events(changed.data)[uid(booking)].status.value == "CONFIRMED"  # a new version, rendered anew
    assert client.get(url).data == changed.data


def test_two_hosts_keeping_a_feed_at_once_both_answer(client, scene, week, monkeypatch):
    """Another host kept the feed between our look-up and our insert: we still answer, theirs stays."""
    feed = make_feed(scene.member, "enterprise")
    url = url_of(feed)
    db.session.add(FeedBody(feed_id=feed.id, etag="another-version", body=b"theirs"))
    db.session.commit()
    monkeypatch.setattr(db.session, "get", lambda *args, **kwargs: None)  # our look-up saw nothing yet
    response = client.get(url)
    assert response.status_code == 200 and b"BEGIN:VCALENDAR" in response.data
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get(FeedBody, feed.id).etag == "another-version"
