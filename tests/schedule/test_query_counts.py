"""The pages people open at 08:30 on a Monday cost a fixed number of queries, however many
bookings, enterprises and facilities they show (county scale: 300 facilities, 1.5 million bookings)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from booking.extensions import db

from ..factories import local, next_weekday

DAY = next_weekday(1)


@pytest.fixture
def scene(make):
    chain = make.chain()
    line = make.facility(chain, requires_approval=True)
    member = make.member(chain)
    manager = make.manager(line)
    db.session.commit()
    return chain, line, member, manager


def grow(make, chain, line, member, n: int) -> None:
    """``n`` more bookings, each of another enterprise, half of them on another facility of the chain."""
    for i in range(n):
        facility = line if i % 2 else make.facility(chain, requires_approval=True)
        start = local(DAY + timedelta(weeks=i // 8 % 3), f"{8 + i % 8:02d}:00")
        enterprise = None if i % 3 else member.membership.enterprise
        make.booking(facility, start, status="pending" if i % 4 else "approved", enterprise=enterprise)
    db.session.commit()


def pages(chain, line, member, manager) -> list[tuple[object, str]]:
    week = DAY.isoformat()
    return [
        (member, f"/chains/{chain.id}/day?date={week}"),
        (member, f"/facilities/{line.id}?week={week}"),
        (member, "/facilities"),
        (member, "/bookings"),
        (manager, "/queue"),
    ]


def test_hot_pages_cost_as_many_queries_for_40_bookings_as_for_4(client, auth, make, scene, count_queries):
    chain, line, member, manager = scene
    grow(make, chain, line, member, 4)

    def statements() -> list[int]:
        counts = []
        for user, path in pages(chain, line, member, manager):
            auth.login(user)
            with count_queries() as seen:
                response = client.get(path)
            assert response.status_code == 200, path
            counts.append(len(seen))
            auth.logout()
        return counts

    few = statements()
    grow(make, chain, line, member, 36)
    assert statements() == few


def test_availability_costs_the_same_queries_for_a_busy_week(client, make, scene, count_queries):
    chain, line, member, _manager = scene
    headers = {"Authorization": f"Bearer {make.token(member)}"}
    path = (f"/api/v1/resources/{line.id}/availability?start={DAY.isoformat()}T00:00:00%2B08:00"
            f"&end={(DAY + timedelta(days=21)).isoformat()}T00:00:00%2B08:00")
    client.get(path, headers=headers)  # the token's first use is recorded once

    def statements() -> int:
        with count_queries() as seen:
            assert client.get(path, headers=headers).status_code == 200
        return len(seen)

    grow(make, chain, line, member, 4)
    few = statements()
    grow(make, chain, line, member, 36)
    assert statements() == few
