"""List pages run a fixed number of SQL statements however many rows they show."""
import pytest

from booking.extensions import db


def grow(make, scene, n: int) -> None:
    """Add ``n`` of every kind of row, each with related rows the list pages show."""
    for _ in range(n):
        chain = make.chain()
        enterprise = make.enterprise(chain)
        user = make.user(enterprise)
        chain.committee.append(user)
        facility = make.facility(chain, host_enterprise_id=enterprise.id)
        facility.managers.append(user)
    db.session.commit()


@pytest.mark.parametrize("path", ["/admin/chains", "/admin/enterprises", "/admin/facilities", "/admin/users",
                                  "/admin/enterprises/{enterprise}/members", "/admin/"])
def test_list_pages_do_not_query_per_row(client, auth, scene, make, count_queries, path):
    auth.login(scene.admin)
    # every relation the page shows is filled already, so that the first count includes its query
    scene.manager.managed_facilities.append(scene.other_facility)
    scene.facility.host_enterprise_id = scene.enterprise.id
    db.session.commit()
    path = path.format(enterprise=scene.enterprise.id)

    def statements() -> int:
        with count_queries() as seen:
            assert client.get(path).status_code == 200
        return len(seen)

    few = statements()
    grow(make, scene, 6)
    for _ in range(3):
        make.user(scene.enterprise)
    db.session.commit()
    assert statements() == few
