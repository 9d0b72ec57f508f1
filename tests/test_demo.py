"""The demo data: what DESIGN.md promises, loadable on both databases, and true to the booking rules."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash

from booking import create_app
from booking.accounts.models import User
from booking.accounts.permissions import roles_of
from booking.billing.charges import booking_use_amounts
from booking.billing.models import EnterpriseBaseline
from booking.bookings import services
from booking.bookings.models import BLOCKING, Booking
from booking.demo import load
from booking.extensions import db
from booking.facilities.models import Closure, Facility
from booking.facilities.rules import bookable_intervals, overlaps
from booking.organisation.models import Chain, Enterprise
from booking.organisation.uscc import is_valid
from booking.timeutil import utcnow
from booking.usage.models import UsageRecord

from .conftest import _config, empty_database

ZEGUO, YIHUANG = "泽国鞋帽服装产业链", "宜黄塑料电子产业链"
ACCOUNTS = ["admin@demo.local", "committee@demo.local", "manager@demo.local", "manager.yihuang@demo.local",
            "admin.a@demo.local", "member.a@demo.local", "member.b@demo.local", "member.c@demo.local"]


def _counts() -> tuple[int, int, int]:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (User, Enterprise, Booking))


# Runs first: on PostgreSQL its fresh database is the shared one the module fixture fills afterwards.
def test_load_demo_command_loads_once(runner):
    result = runner.invoke(args=["load-demo"])
    assert result.exit_code == 0, result.output
    assert "demo loaded" in result.output
    counts = _counts()
    assert counts[2] > 0

    again = runner.invoke(args=["load-demo", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert "not loaded" in again.output
    assert _counts() == counts


@pytest.fixture(scope="module")
def demo_app(database_template, tmp_path_factory):
    """One loaded demo for the read-only tests below: loading takes a few seconds."""
    app = create_app(_config(empty_database(database_template, tmp_path_factory.mktemp("demo"))))
    with app.app_context():
        summary = load()
        db.session.commit()
        db.session.remove()
    yield app, summary
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def demo(demo_app):
    app, summary = demo_app
    with app.app_context():
        yield summary
        db.session.remove()


def chain(name: str) -> Chain:
    return db.session.scalars(select(Chain).where(Chain.name == name)).one()


def user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def all_bookings() -> list[Booking]:
    return db.session.scalars(select(Booking).options(
        selectinload(Booking.facility).selectinload(Facility.hours), selectinload(Booking.events),
        selectinload(Booking.usage))).all()


def test_summary_counts_what_was_loaded(demo):
    assert demo["bookings"] == db.session.scalar(select(func.count(Booking.id)))
    assert demo["users"] == db.session.scalar(select(func.count(User.id)))
    assert demo["facilities"] == db.session.scalar(select(func.count(Facility.id)))
    assert 1000 <= demo["bookings"] <= 3000


def test_demo_has_the_chains_firms_and_facilities_of_the_design(demo):
    zeguo, yihuang = chain(ZEGUO), chain(YIHUANG)
    assert zeguo.timezone == "Asia/Shanghai" and "一月一议" in zeguo.description
    assert len([e for e in zeguo.enterprises if "鞋业" in e.name]) >= 16

    facilities = db.session.scalars(select(Facility)).all()
    studios = [f for f in facilities if f.kind == "livestream_studio"]
    assert len(studios) == 22
    assert {f.chain_id for f in studios} == {zeguo.id}
    assert {f.park for f in studios} == {"汇富春天园区", "牧南园区"}
    assert any(not f.requires_approval for f in studios) and any(f.requires_approval for f in studios)

    [line] = [f for f in facilities if f.kind == "production_line"]
    assert (line.name, line.chain_id, line.park) == ("春雨共享生产线", zeguo.id, "汇富春天园区")
    assert "56米" in line.description and line.requires_approval
    assert (line.slot_minutes, line.min_minutes, line.max_minutes, line.buffer_minutes) == (60, 120, 720, 30)
    assert 1 - line.shared_rate / line.reference_rate == Decimal("0.52")
    assert {"training_room", "meeting_room"} <= {f.kind for f in facilities if f.chain_id == zeguo.id}

    liwei = db.session.scalars(select(Enterprise).where(Enterprise.name == "立伟轻工")).one()
    hosted = {f.kind: f for f in facilities if f.host_enterprise_id == liwei.id}
    assert set(hosted) == {"rd_centre", "lab"}
    assert all(f.chain_id == yihuang.id for f in hosted.values())
    assert {"立伟轻工", "创泰活塞"} <= {e.name for e in yihuang.enterprises}
    assert all(f.name and f.name_en and f.hours and f.managers for f in facilities)


def test_every_credit_code_is_valid_and_unique(demo):
    codes = db.session.scalars(select(Enterprise.uscc)).all()
    assert codes and all(is_valid(code) for code in codes)
    assert len(set(codes)) == len(codes)


def test_demo_accounts_have_their_roles_and_password_demo1234(demo):
    users = {email: user(email) for email in ACCOUNTS}
    assert all(check_password_hash(u.password_hash, "demo1234") for u in users.values())
    roles = {email: roles_of(u) for email, u in users.items()}
    zeguo, yihuang = chain(ZEGUO), chain(YIHUANG)
    zeguo_ids = set(db.session.scalars(select(Facility.id).where(Facility.chain_id == zeguo.id)))
    yihuang_ids = set(db.session.scalars(select(Facility.id).where(Facility.chain_id == yihuang.id)))

    assert roles["admin@demo.local"].is_admin
    assert zeguo.id in roles["committee@demo.local"].committee_chain_ids
    assert roles["manager@demo.local"].managed_facility_ids == zeguo_ids
    assert roles["manager.yihuang@demo.local"].managed_facility_ids == yihuang_ids
    for email in ACCOUNTS[:4]:
        assert roles[email].enterprise_id is None
    for email in ACCOUNTS[1:]:
        assert not roles[email].is_admin
    assert roles["admin.a@demo.local"].is_enterprise_admin
    assert roles["admin.a@demo.local"].enterprise_id == roles["member.a@demo.local"].enterprise_id
    assert not roles["member.a@demo.local"].is_enterprise_admin
    assert users["member.c@demo.local"].membership.enterprise.name == "创泰活塞"
    assert all(u.name for u in users.values())


def test_members_a_and_b_belong_to_different_zeguo_shoe_firms(demo):
    a, b = (user(email).membership.enterprise for email in ("member.a@demo.local", "member.b@demo.local"))
    assert a.id != b.id
    for firm in (a, b):
        assert "鞋业" in firm.name and ZEGUO in {c.name for c in firm.chains}


def test_blocking_bookings_never_overlap(demo):
    by_facility = defaultdict(list)
    for booking in all_bookings():
        if booking.status in BLOCKING:
            by_facility[booking.facility_id].append(booking)
    assert by_facility
    for bookings in by_facility.values():
        bookings.sort(key=lambda b: b.start_at)
        for earlier, later in zip(bookings, bookings[1:]):
            assert earlier.block_end <= later.start_at, (earlier.id, later.id)


def test_every_booking_keeps_its_facility_rules(demo):
    closures = defaultdict(list)
    for closure in db.session.scalars(select(Closure)):
        closures[closure.facility_id].append(closure)
    assert any(c.kind == "maintenance" for group in closures.values() for c in group)
    for b in all_bookings():
        f = b.facility
        assert any(s <= b.start_at and b.end_at <= e for s, e in bookable_intervals(f, f.hours, b.start_at, b.end_at))
        assert not any(overlaps(b.start_at, b.end_at, c.start_at, c.end_at) for c in closures[f.id])
        minutes = (b.end_at - b.start_at) / timedelta(minutes=1)
        assert f.min_minutes <= minutes <= f.max_minutes and minutes % f.slot_minutes == 0
        local = b.start_at.astimezone(f.tz)
        assert (local.hour * 60 + local.minute) % f.slot_minutes == 0 and local.second == 0
        assert b.block_end == b.end_at + timedelta(minutes=f.buffer_minutes)


def test_history_and_upcoming_bookings_tell_a_consistent_story(demo):
    now = utcnow()
    bookings = all_bookings()
    upcoming = [b for b in bookings if b.start_at > now]
    past = [b for b in bookings if b.end_at <= now]
    assert {"pending", "approved"} <= {b.status for b in upcoming}
    assert {"completed", "no_show", "cancelled", "rejected"} <= {b.status for b in past}
    assert past[0].start_at < now - timedelta(days=80) and max(b.start_at for b in upcoming) > now + timedelta(days=20)

    for b in bookings:
        events = b.events
        assert (events[0].from_status, events[0].to_status, events[0].actor_id) == (None, "pending", b.requester_id)
        assert all(e.from_status == prev.to_status for prev, e in zip(events, events[1:]))
        assert all(prev.at <= e.at for prev, e in zip(events, events[1:]))
        assert events[-1].to_status == b.status and b.created_at == events[0].at < now
        if b.decided_at is not None:
            assert b.created_at <= b.decided_at < b.start_at and b.decided_at <= now
        if b.status == "completed":
            usage = b.usage
            assert usage.actual_start < usage.actual_end <= now
            assert usage.output_unit == b.facility.output_unit
        if b.status == "cancelled":
            assert b.cancel_reason and b.cancelled_by_id and b.cancelled_at < b.start_at
        if b.status == "rejected":
            assert b.rejection_reason and b.decided_by_id
    completed = [b for b in past if b.status == "completed"]
    assert all(b.usage is not None for b in completed)
    sessions = [b for b in completed if b.facility.kind == "livestream_studio"]
    assert len(sessions) >= 1000  # DESIGN.md: the studios served 1,000+ livestream sessions
    assert db.session.scalar(select(func.count(UsageRecord.id))) >= len(completed)

    for email in ("member.a@demo.local", "member.b@demo.local"):
        requester = user(email)
        assert any(b.requester_id == requester.id and b.status == "pending" for b in upcoming)


def test_two_pending_requests_compete_on_the_chunyu_line(demo):
    now = utcnow()
    line = db.session.scalars(select(Facility).where(Facility.name == "春雨共享生产线")).one()
    pending = db.session.scalars(select(Booking).where(
        Booking.facility_id == line.id, Booking.status == "pending", Booking.start_at > now)).all()
    assert any(a.enterprise_id != b.enterprise_id and overlaps(a.start_at, a.block_end, b.start_at, b.block_end)
               for a in pending for b in pending if a.id < b.id)

    queue = db.session.scalars(services.approval_queue_query(roles_of(user("manager@demo.local")))).unique().all()
    conflicts = services.competing(queue)
    assert any(booking.facility_id == line.id and conflicts[booking.id] for booking in queue)


def test_demo_charges_follow_the_facilities_rates(demo):
    bookings = db.session.scalars(select(Booking).options(
        selectinload(Booking.facility), selectinload(Booking.usage), selectinload(Booking.charges),
        selectinload(Booking.events))).all()
    for b in bookings:
        kinds = {c.kind: c for c in b.charges}
        if b.status == "completed":
            assert set(kinds) == {"use"}
            expected = booking_use_amounts(b, b.usage)
            assert (kinds["use"].billable_hours, kinds["use"].amount, kinds["use"].reference_amount) == \
                (expected.billable_hours, expected.amount, expected.reference_amount)
        elif b.status == "no_show":
            assert set(kinds) == ({"no_show"} if b.facility.no_show_fee > 0 else set())
        elif b.status == "cancelled":
            event = b.events[-1]
            charged = (event.details["late"] and not event.details["by_manager"]
                       and b.events[-2].to_status == "approved" and b.facility.late_cancel_fee > 0)
            assert set(kinds) == ({"late_cancel"} if charged else set())
        else:
            assert not kinds, b.status
    assert any(b.status == "no_show" and b.charges for b in bookings)


def test_shared_line_and_lab_output_is_about_half_again_the_firms_baselines(demo):
    baselines = db.session.scalars(
        select(EnterpriseBaseline).options(selectinload(EnterpriseBaseline.enterprise))).all()
    shoe_firms = [b for b in baselines if b.kind == "production_line"]
    assert len(shoe_firms) >= 3 and all(b.output_unit == "pairs" and "鞋业" in b.enterprise.name for b in shoe_firms)
    assert any(b.kind in ("lab", "rd_centre") and b.enterprise.name == "创泰活塞" for b in baselines)
    bookings = all_bookings()
    uplifts = []
    for baseline in baselines:
        used = [b for b in bookings if b.enterprise_id == baseline.enterprise_id and b.status == "completed"
                and b.facility.kind == baseline.kind and b.usage.output_quantity]
        hours = sum((b.usage.actual_end - b.usage.actual_start) / timedelta(hours=1) for b in used)
        uplifts.append(float(sum(b.usage.output_quantity for b in used)) / hours / float(baseline.output_per_hour))
        assert used and 1.25 <= uplifts[-1] <= 1.75, baseline.enterprise.name
    assert 1.4 <= sum(uplifts) / len(uplifts) <= 1.6  # DESIGN.md: efficiency up 50 %
